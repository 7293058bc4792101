import { describe, expect, it } from 'vitest';
import { kdArmSection, type ArmRow } from './kdArmSection.js';

const row = (id: string, kind: string, source: string | null, dev: number, best: number): ArmRow => ({ id, kind, source, status: 'done', dev, history: [{ devScore: dev }, { devScore: best }] });
const score = (c: ArmRow, p: 'paper' | 'unbiased') => (p === 'paper' ? Math.max(...c.history.map((h) => h.devScore)) : c.dev);

describe('the stronger-distillation arm section', () => {
  const arm = [
    row('prompt-tuning/cb@s1', 'prompt-tuning', null, 0.6, 0.62),
    row('pot/sst2/cb@s1', 'pot', 'sst2', 0.55, 0.6),
    row('pot/mr/cb@s1', 'pot', 'mr', 0.65, 0.66),
    row('panda/sst2/cb@s1', 'panda', 'sst2', 0.63, 0.64),
    row('panda/mr/cb@s1', 'panda', 'mr', 0.59, 0.7),
  ];
  const main = [
    row('prompt-tuning/cb@s1', 'prompt-tuning', null, 0.6, 0.62),
    row('pot/sst2/cb@s1', 'pot', 'sst2', 0.55, 0.6),
    row('pot/mr/cb@s1', 'pot', 'mr', 0.64, 0.66),
    row('panda/sst2/cb@s1', 'panda', 'sst2', 0.61, 0.62),
    row('panda/mr/cb@s1', 'panda', 'mr', 0.61, 0.62),
    row('panda/mr/cb@s2', 'panda', 'mr', 0.1, 0.1),
  ];
  const md = kdArmSection(new Map([['cb', arm]]), new Map([['cb', main]]), score).join('\n');

  it('counts the reruns that reproduce the main grid exactly', () => {
    expect(md).toContain('Reproduction: 2 of 3 prompt-tuning and PoT runs');
  });
  it('puts the means of each method and the released PANDA (seed 1 only) side by side', () => {
    // paper: PT 62, PoT (60+66)/2 = 63, released (62+62)/2 = 62, strong (64+70)/2 = 67; 0 of 2 below PT.
    expect(md).toContain('| paper | 62.00 | 63.00 | 62.00 | 67.00 | 0/2 |');
    // unbiased: PT 60, PoT 60, released 61, strong 61; mr (59) is below PT.
    expect(md).toContain('| unbiased | 60.00 | 60.00 | 61.00 | 61.00 | 1/2 |');
  });
  it('pairs by source', () => {
    // unbiased: sst2 0.63 − 0.55 = +8, mr 0.59 − 0.65 = −6 → mean +1, one better one worse.
    expect(md).toMatch(/\| PANDA λ = 1 − PoT \| unbiased \| 2 \| 1\.00 \| \[[^\]]+\] \| 1 \/ 1 \/ 0 \|/);
    // paper against the released: +2 and +8 → +5.
    expect(md).toMatch(/\| PANDA λ = 1 − PANDA λ = 0\.1 \| paper \| 2 \| 5\.00 \|/);
  });
  it('is empty without an arm', () => {
    expect(kdArmSection(new Map(), new Map([['cb', main]]), score)).toEqual([]);
  });
});
