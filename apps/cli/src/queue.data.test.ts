// A 3 × 3 grid (spam, afinn, mr; prompt tuning, PoT, PANDA) run by one `panda grid --queue`
// coordinator and two `panda worker`s that live in two network namespaces (two hosts on one
// machine, joined to the Redis host by veth pairs), with chaos on the way: one worker SIGKILLed
// mid-job, Redis SIGKILLed and restarted, the coordinator SIGKILLed and restarted. The grid must
// complete with every cell recorded once and the same results as the grid run locally.
// Needs root (ip netns), redis-server and ../shared/data (mr); CI sets PANDA_REQUIRE_NETNS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GridStore } from '@panda/transfer';
import { hasRedis, startTestRedis, type TestRedis } from '@panda/queue/testing';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const hasIp = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
const canRun = isRoot && hasIp && hasRedis;
const required = process.env.PANDA_REQUIRE_NETNS === '1';
if (!canRun && !required) console.warn('queue grid test skipped: needs root, iproute2 (ip netns) and redis-server');

describe.runIf(required && !canRun)('the queue grid test', () => {
  it('can run here (root, ip netns, redis-server; PANDA_REQUIRE_NETNS=1)', () => {
    expect({ isRoot, hasIp, hasRedis }).toEqual({ isRoot: true, hasIp: true, hasRedis: true });
  });
});

const spec = {
  sources: ['spam', 'afinn', 'mr'],
  targets: ['spam', 'afinn', 'mr'],
  methods: ['prompt-tuning', 'pot', 'panda'],
  tuning: { method: 'prompt-tuning', promptLength: 4, epochs: 2, batchSize: 8, maxTrainExamples: 48, maxEvalExamples: 24, maxSeqLength: 32 },
  embedding: { samples: 8, maxSeqLength: 32 },
  seed: 7,
  workers: 2,
};

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}
function start(args: string[], netns?: string): Proc {
  const node = [process.execPath, BIN, ...args];
  const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  // Its own process group: a kill takes the whole "host" (ip netns exec, bin/panda.js, the panda
  // process and its tuning processes), as a machine that dies would.
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PANDA_BACKEND: 'wasm' }, detached: true });
  const lines: string[] = [];
  // Whole lines only: a chunk may end in the middle of one.
  const collector = () => {
    let buf = '';
    return (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    };
  };
  child.stdout!.on('data', collector());
  child.stderr!.on('data', collector());
  return { child, lines, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}
async function until(what: string, check: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function cells(dir: string): Array<{ id: string; status: string; dev: number | null; runs: number; result: { history?: unknown } }> {
  if (!existsSync(join(dir, 'grid.sqlite'))) return [];
  const store = new GridStore(dir);
  try {
    return store.cells() as never;
  } finally {
    store.close();
  }
}
const kill = async (p: Proc) => {
  try {
    process.kill(-p.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await p.exited;
};

describe.runIf(canRun)('panda grid --queue with workers in two network namespaces', () => {
  const tag = `pq${process.pid % 10000}`;
  const net = 10 + (process.pid % 200);
  const hosts = [`10.${net}.1.1`, `10.${net}.2.1`];
  let redis: TestRedis;
  let root: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'panda-queue-grid-'));
    for (const [i, side] of ['a', 'b'].entries()) {
      const ns = `${tag}${side}`;
      sh(`ip netns add ${ns} && ip link add ${ns}h type veth peer name ${ns}n && ip link set ${ns}n netns ${ns} && ip addr add ${hosts[i]}/24 dev ${ns}h && ip link set ${ns}h up && ip netns exec ${ns} ip addr add 10.${net}.${i + 1}.2/24 dev ${ns}n && ip netns exec ${ns} ip link set ${ns}n up && ip netns exec ${ns} ip link set lo up`);
    }
    redis = await startTestRedis({ bind: ['127.0.0.1', ...hosts] });
    await writeFile(join(root, 'grid.json'), JSON.stringify(spec));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await kill(p);
    await redis?.dispose();
    for (const side of ['a', 'b']) spawnSync('sh', ['-c', `ip netns del ${tag}${side}; ip link del ${tag}${side}h`], { stdio: 'ignore' });
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('completes through a killed worker, a Redis restart and a coordinator restart, every cell once, results equal to the local grid', async () => {
    const dataDir = process.env.PANDA_DATA_DIR!;
    // The reference: the same grid in a local pool.
    const local = start(['grid', '-c', join(root, 'grid.json'), '-o', join(root, 'local')]);
    procs.push(local);
    expect(await local.exited).toBe(0);

    const worker = (side: 'a' | 'b', i: number) => start(['worker', '--queue', `redis://${hosts[i]}:${redis.port}`, '--dir', join(root, `worker-${side}`), '--data-dir', dataDir, '--lock-seconds', '4', '--name', `host-${side}`], `${tag}${side}`);
    const workers = [worker('a', 0), worker('b', 1)];
    procs.push(...workers);
    const queued = join(root, 'queued');
    const coordinate = () => start(['grid', '-c', join(root, 'grid.json'), '-o', queued, '--queue', redis.url]);
    let coordinator = coordinate();
    procs.push(coordinator);

    // 1. SIGKILL a worker in the middle of a PoT job.
    let victim: Proc | undefined;
    let victimCell = '';
    await until('a worker to start a PoT job', () => {
      for (const w of workers) {
        const line = w.lines.find((l) => / pot\/\S+: started/.test(l));
        if (line) {
          victim = w;
          victimCell = / (pot\/\S+): started/.exec(line)![1]!;
          return true;
        }
      }
      return false;
    });
    await kill(victim!);
    expect(victim!.lines.some((l) => l.includes(`${victimCell}: done`))).toBe(false);

    // 2. Restart Redis (SIGKILL: the append-only file, fsynced on every write, keeps the jobs).
    await until('6 cells recorded', () => cells(queued).length >= 6);
    await redis.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();

    // 3. Restart the coordinator while PANDA students are in flight.
    await until('10 cells recorded', () => cells(queued).length >= 10);
    await kill(coordinator);
    coordinator = coordinate();
    procs.push(coordinator);
    expect(await coordinator.exited).toBe(0);

    if (process.env.PANDA_QUEUE_TEST_LOG) {
      const dump = procs.map((p, i) => `== process ${i}: ${p.child.spawnargs.slice(-8).join(' ')}\n${p.lines.join('\n')}`).join('\n');
      await writeFile(process.env.PANDA_QUEUE_TEST_LOG, dump);
    }
    const survivor = workers.find((w) => w !== victim)!;
    expect(survivor.lines.filter((l) => l.includes(`${victimCell}: `)), survivor.lines.join('\n')).toEqual([expect.stringContaining(`${victimCell}: started`), expect.stringContaining(`${victimCell}: done`)]);
    const want = cells(join(root, 'local'));
    const got = cells(queued);
    expect(want).toHaveLength(15);
    expect(got.map((c) => c.id)).toEqual(want.map((c) => c.id));
    expect(got.every((c) => c.status === 'done' && c.runs === 1)).toBe(true);
    for (const [i, c] of got.entries()) {
      expect({ id: c.id, dev: c.dev, history: c.result.history }).toEqual({ id: c.id, dev: want[i]!.dev, history: want[i]!.result.history });
    }
    // The coordinator restarted mid-phase found the jobs it had enqueued instead of adding them again.
    expect(coordinator.lines.some((l) => /already there from an earlier coordinator/.test(l))).toBe(true);
  }, 1_200_000);
});
