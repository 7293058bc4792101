import { describe, expect, it } from 'vitest';
import { redactPaths } from './redactPaths.js';

describe('redactPaths', () => {
  const names = { root: '/srv/panda/data', dataDir: '/home/me/shared/data' };

  it('names files in the data directory relative to it, keeping line numbers', () => {
    expect(redactPaths("/srv/panda/data/uploads/ds-1.csv:3: no column named 'x'", names)).toBe("uploads/ds-1.csv:3: no column named 'x'");
    expect(redactPaths('cannot write file:///srv/panda/data/runs/job-1/adapter.safetensors', names)).toBe('cannot write runs/job-1/adapter.safetensors');
    expect(redactPaths('the folder /srv/panda/data is full', names)).toBe('the folder . is full');
  });

  it('shows benchmark files under $PANDA_DATA_DIR and cuts every other absolute path to its name', () => {
    expect(redactPaths('missing /home/me/shared/data/glue/sst2/train.tsv', names)).toBe('missing $PANDA_DATA_DIR/glue/sst2/train.tsv');
    expect(redactPaths('at run (/opt/app/node_modules/x/dist/index.js:12:5) | at file:///opt/app/y.js:1', names)).toBe('at run (…/index.js:12:5) | at …/y.js:1');
    expect(redactPaths('C:\\Users\\me\\panda\\uploads\\a.csv:2 bad', names)).toBe('…\\a.csv:2 bad');
    // Not a longer folder that merely starts with the data directory's name.
    expect(redactPaths('/srv/panda/data2/x.csv', names)).toBe('…/x.csv');
  });

  it('leaves messages without server paths alone', () => {
    for (const m of ['lr 1/2 of 3e-4', 'see https://example.com/a/b and POST /api/jobs', 'uploads/ds-1.csv:1: bad row', 'a/b/c relative']) {
      expect(redactPaths(m, names)).toBe(m);
    }
  });
});
