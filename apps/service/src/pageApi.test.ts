// The API behind the web page's new views: dataset preview, run folders (details, tar download,
// path tricks), grid folders, and the phase clock behind every job card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Parser } from 'tar';
import { client, sentimentCsv, testService } from './testing/fixtures.js';
import { writeGridFixture } from './testing/gridFixture.js';
import { PhaseClock } from './jobs/phaseClock.js';
import { emptyProgress } from './jobs/jobStore.js';

/** The entry names of a tar archive. */
async function tarEntries(body: ArrayBuffer): Promise<string[]> {
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({ onReadEntry: (e) => (names.push(e.path), e.resume()) });
    parser.on('end', () => resolve());
    parser.on('error', reject);
    Readable.from([Buffer.from(body)]).pipe(parser);
  });
  return names.sort();
}

describe('the page API', () => {
  let service: Awaited<ReturnType<typeof testService>>;
  let api: ReturnType<typeof client>;
  let outside: string;

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'panda-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'not for download');
    const grids = mkdtempSync(join(tmpdir(), 'panda-grids-'));
    writeGridFixture(join(grids, 'configured'));
    service = await testService({ grids: [join(grids, 'configured')] });
    api = client(service.url);
  });

  afterAll(async () => {
    await service?.close();
  });

  it("previews an upload: columns, first rows, rows with problems and the reader's reasons, label values", async () => {
    const csv = `${sentimentCsv(6)}"extra, comma",pos,more\n,neg\n"fine",maybe\n`;
    const id = (await api.upload('mixed.csv', csv)).body.id;
    const plain = (await api.get(`/api/datasets/${id}/preview?rows=3`)).body;
    expect(plain.columns).toEqual(['text', 'label']);
    expect(plain.rows).toEqual([
      { line: 2, cells: ['a wonderful film', 'pos'] },
      { line: 3, cells: ['boring and far too long', 'neg'] },
      { line: 4, cells: ['i loved every minute', 'pos'] },
    ]);
    expect(plain.badRows).toEqual([{ line: 8, reason: "expected 2 fields (the header's), found 3" }]);
    expect(plain.labelValues.label).toEqual([
      { value: 'pos', count: 4 },
      { value: 'neg', count: 4 },
      { value: 'maybe', count: 1 },
    ]);
    // With columns and labels: the rows a training job would refuse, in the reader's words.
    const checked = (await api.get(`/api/datasets/${id}/preview?textColumn=text&labelColumn=label&labels=neg,pos`)).body;
    expect(checked.badRows.map((b: any) => b.line)).toEqual([8, 9, 10]);
    expect(checked.badRows[1].reason).toBe('empty text');
    expect(checked.badRows[2].reason).toMatch(/^unknown label 'maybe'/);
    expect(JSON.stringify(checked)).not.toContain(service.root); // no server paths
    const missing = await api.get(`/api/datasets/${id}/preview?textColumn=nope&labelColumn=label&labels=neg,pos`);
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'DATA_ROW_INVALID', message: "mixed.csv:1: no column named 'nope' for the text (columns: text, label)" });
    expect((await api.get('/api/datasets/ds-none/preview')).status).toBe(404);
  });

  it('serves a run folder as a tar archive of its regular files only, and refuses path tricks', async () => {
    const dir = join(service.root, 'runs', 'run-manual');
    mkdirSync(join(dir, 'checkpoint'), { recursive: true });
    writeFileSync(join(dir, 'panda_adapter.json'), JSON.stringify({ task: 'toy', config: { method: 'prompt-tuning', promptLength: 4 } }));
    writeFileSync(join(dir, 'checkpoint', 'state.json'), '{}');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'link.txt'));
    symlinkSync(outside, join(dir, 'linked-folder'));
    const run = (await api.get('/api/runs/run-manual')).body;
    expect(run.files).toEqual([
      { path: 'checkpoint/state.json', bytes: 2 },
      { path: 'panda_adapter.json', bytes: expect.any(Number) },
    ]);
    expect(run).toMatchObject({ id: 'run-manual', job: null, task: 'toy', config: { method: 'prompt-tuning', promptLength: 4 } });
    // A run of panda 0.1 keeps its config in adapter_config.json; a PEFT adapter's file of that name is no run config.
    for (const [id, json, task] of [['run-old', { task: 'old', config: { method: 'prompt-tuning' } }, 'old'], ['run-peft', { peft_type: 'PROMPT_TUNING', task: 'peft' }, null]] as const) {
      mkdirSync(join(service.root, 'runs', id), { recursive: true });
      writeFileSync(join(service.root, 'runs', id, 'adapter_config.json'), JSON.stringify(json));
      expect((await api.get(`/api/runs/${id}`)).body, id).toMatchObject({ id, task });
    }
    const res = await fetch(`${service.url}/api/runs/run-manual/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="run-manual.tar"');
    const body = await res.arrayBuffer();
    expect(await tarEntries(body)).toEqual(['run-manual/checkpoint/state.json', 'run-manual/panda_adapter.json']);
    expect(Buffer.from(body).includes('not for download')).toBe(false);
    for (const path of ['/api/runs/..%2F..%2Fetc/download', '/api/runs/.hidden/download', '/api/runs/a%00b/download', '/api/runs/a.b']) {
      expect((await api.get(path)).status, path).toBe(400);
    }
    expect((await api.get('/api/runs/no-such-run')).status).toBe(404);
    expect((await api.get('/api/runs/no-such-run/download')).status).toBe(404);
    // A run folder that is itself a link out of the data directory is refused.
    symlinkSync(outside, join(service.root, 'runs', 'escape'));
    expect((await api.get('/api/runs/escape/download')).status).toBe(403);
  });

  it('lists the configured grid and those under <dir>/grids, reads their tables, and names them only by name', async () => {
    writeGridFixture(join(service.root, 'grids', 'local'));
    mkdirSync(join(service.root, 'grids', 'empty'));
    symlinkSync(join(outside), join(service.root, 'grids', 'outside'));
    const { grids } = (await api.get('/api/grids')).body;
    expect(grids.map((g: any) => [g.name, g.cells, g.done, g.tasks])).toEqual([
      ['configured', 15, 15, 3],
      ['local', 15, 15, 3],
    ]);
    const g = (await api.get('/api/grids/local')).body;
    expect(g.sources).toEqual(['reviews', 'topics', 'afinn']);
    expect(g.baselines['prompt-tuning']).toEqual({ reviews: 0.7, topics: 0.6, afinn: 0.65 });
    expect(g.tables.pot.values[0][0]).toBeNull();
    expect(g.tables.pot.values[1][0]).toBeCloseTo(0.71, 6); // topics → reviews
    expect(g.gains.pot.values[1][0]).toBeCloseTo(1, 6); // points over prompt tuning
    expect(g.gains.panda.values[1][0]).toBeCloseTo(7, 6);
    expect(g.similarity.values[0][0]).toBeCloseTo(1, 6);
    expect(g.similarity.values[0][2]).toBeLessThan(g.similarity.values[0][1]);
    expect((await api.get('/api/grids/empty')).status).toBe(404);
    expect((await api.get('/api/grids/outside')).status).toBe(404);
    expect((await api.get('/api/grids/..')).status).toBe(404);
    expect((await api.get('/api/grids/a..b')).status).toBe(400);
  });
});

describe('the phase clock of a job card', () => {
  it('tracks each phase of a run with the time spent and an ETA from its own rate', () => {
    const clock = new PhaseClock();
    const p = emptyProgress();
    clock.reset(p);
    clock.update(p, 'train', 0, 10, 'steps', 0);
    clock.update(p, 'train', 5, 10, 'steps', 5_000, 1);
    expect(p.phases[0]).toEqual({ name: 'train', done: 5, total: 10, unit: 'steps', seconds: 5, etaSeconds: 5 });
    // Scoring dev: 0 of 200, then 50 after 2 s → 150 more at 25/s = 6 s.
    clock.update(p, 'evaluate', 0, 200, 'examples', 6_000);
    expect(p.phase).toBe('evaluate');
    expect(p.phases[1]!.etaSeconds).toBeNull();
    clock.update(p, 'evaluate', 50, 200, 'examples', 8_000);
    expect(p.phases[1]).toMatchObject({ done: 50, seconds: 2, etaSeconds: 6 });
    clock.update(p, 'evaluate', 200, 200, 'examples', 14_000);
    // Training goes on; a second dev pass starts over at 0 and adds to the time spent.
    clock.update(p, 'train', 10, 10, 'steps', 20_000, 1);
    expect(p.phases[0]).toMatchObject({ done: 10, etaSeconds: 0 });
    clock.update(p, 'evaluate', 0, 200, 'examples', 21_000);
    clock.update(p, 'evaluate', 100, 200, 'examples', 22_000);
    expect(p.phases[1]).toMatchObject({ done: 100, seconds: 9, etaSeconds: 1 });
    clock.update(p, 'test', 0, 1000, 'examples', 23_000);
    expect(p.phases.map((x) => x.name)).toEqual(['train', 'evaluate', 'test']);
    expect(p.phase).toBe('test');
    // The next run of a transfer job starts a fresh list.
    clock.reset(p);
    expect(p.phases).toEqual([]);
    expect(p.phase).toBeNull();
  });
});
