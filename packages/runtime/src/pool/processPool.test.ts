import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runInPool } from './processPool.js';

const modulePath = fileURLToPath(new URL('./testWorker.fixture.ts', import.meta.url));

describe('runInPool', () => {
  it('runs jobs across worker processes and returns results in job order', async () => {
    const events: string[] = [];
    const out = await runInPool<number, { square: number; pid: number }>([1, 2, 3, 4, 5], { modulePath, workers: 2 }, (i, e) => events.push(`${i}:${(e as { message: string }).message}`));
    expect(out.map((o) => (o.ok ? o.value.square : null))).toEqual([1, 4, 9, 16, 25]);
    expect(new Set(out.map((o) => (o.ok ? o.value.pid : 0))).size).toBe(2);
    expect(events.sort()).toEqual(['0:got 1', '1:got 2', '2:got 3', '3:got 4', '4:got 5']);
  });

  it('hands each outcome to onOutcome as the job ends, before the pool resolves', async () => {
    const seen: number[] = [];
    const out = await runInPool<number, { square: number }>([3, 1, 2], {
      modulePath,
      workers: 2,
      onOutcome: (i, o) => {
        seen.push(i);
        expect(o.ok && (o.value as { square: number }).square).toBe([9, 1, 4][i]);
      },
    });
    expect(seen.sort()).toEqual([0, 1, 2]);
    expect(out).toHaveLength(3);
  });

  it('reports a failing job with its error code and survives a worker that dies', async () => {
    const out = await runInPool<number, { square: number }>([2, -1, 13, 4], { modulePath, workers: 1 });
    expect(out[0]).toMatchObject({ ok: true, value: { square: 4 } });
    expect(out[1]).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', message: 'negative: -1' } });
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(out[3]).toMatchObject({ ok: true, value: { square: 16 } });
  });

  it('reports a job whose worker is killed by a signal, and goes on with a fresh worker', async () => {
    const out = await runInPool<number, { square: number }>([14, 3], { modulePath, workers: 1 });
    expect(out[0]).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(out[1]).toMatchObject({ ok: true, value: { square: 9 } });
  });

  it('gives each worker one ONNX Runtime thread unless PANDA_ONNX_THREADS says otherwise', async () => {
    const before = process.env.PANDA_ONNX_THREADS;
    try {
      delete process.env.PANDA_ONNX_THREADS;
      const [one] = await runInPool<number, { onnxThreads?: string }>([100], { modulePath, workers: 1 });
      expect(one).toMatchObject({ ok: true, value: { onnxThreads: '1' } });
      process.env.PANDA_ONNX_THREADS = '3';
      const [three] = await runInPool<number, { onnxThreads?: string }>([100], { modulePath, workers: 1 });
      expect(three).toMatchObject({ ok: true, value: { onnxThreads: '3' } });
    } finally {
      if (before === undefined) delete process.env.PANDA_ONNX_THREADS;
      else process.env.PANDA_ONNX_THREADS = before;
    }
  });
});
