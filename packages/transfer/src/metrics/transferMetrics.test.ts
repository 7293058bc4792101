import { describe, expect, it } from 'vitest';
import { cosine } from '@panda/core';
import { METRICS } from '../grid/report.js';
import { activationOverlap, eAvg, spotPerToken } from './similarity.js';
import { listTransferMetrics, registerTransferMetric, transferMetric, type TaskProfile } from './transferMetrics.js';

const a: TaskProfile = { embedding: [1, 0], activationRate: [1, 0.5], prompt: [1, 0, 0, 1], promptRows: 2 };
const b: TaskProfile = { embedding: [1, 1], activationRate: [1, 0], prompt: [1, 1], promptRows: 1 };

describe('transferability-metric registry', () => {
  it('holds the four built-ins, which score as the functions they name', () => {
    expect(listTransferMetrics().map((m) => m.name)).toEqual(['PANDA', 'E_avg', 'SPoT per-token', 'ON']);
    expect(transferMetric('PANDA').score(a, b)).toBe(cosine(a.embedding, b.embedding));
    expect(transferMetric('E_avg').score(a, b)).toBe(eAvg(a.prompt, 2, b.prompt, 1));
    expect(transferMetric('SPoT per-token').score(a, b)).toBe(spotPerToken(a.prompt, 2, b.prompt, 1));
    expect(transferMetric('ON').score(a, b)).toBe(activationOverlap(a.activationRate, b.activationRate));
  });

  it('refuses duplicates and invalid definitions, and names the registered metrics for an unknown one', () => {
    expect(() => registerTransferMetric({ name: 'PANDA', description: 'again', score: () => 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: "a transferability metric named 'PANDA' is already registered" }),
    );
    expect(() => registerTransferMetric({ name: 'x', description: '', score: () => 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => transferMetric('LogME')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "unknown transferability metric 'LogME'; registered: PANDA, E_avg, SPoT per-token, ON" }));
  });

  it('keeps the old METRICS export as a live, read-only view of the registry', () => {
    expect(Object.keys(METRICS)).toEqual(['PANDA', 'E_avg', 'SPoT per-token', 'ON']);
    expect(METRICS.PANDA!(a, b)).toBe(cosine(a.embedding, b.embedding));
    expect(() => {
      (METRICS as Record<string, unknown>).PANDA = () => 1;
    }).toThrow(TypeError);
    expect(() => delete (METRICS as Record<string, unknown>).ON).toThrow(TypeError);
    registerTransferMetric({ name: 'prompt width', description: 'equal prompt row widths (1) or not (0)', score: (s, t) => Number(s.prompt.length / s.promptRows === t.prompt.length / t.promptRows) });
    expect(Object.entries(METRICS).map(([name, f]) => [name, f(a, b)])).toEqual([
      ['PANDA', cosine(a.embedding, b.embedding)],
      ['E_avg', eAvg(a.prompt, 2, b.prompt, 1)],
      ['SPoT per-token', spotPerToken(a.prompt, 2, b.prompt, 1)],
      ['ON', activationOverlap(a.activationRate, b.activationRate)],
      ['prompt width', 1],
    ]);
    expect('prompt width' in METRICS).toBe(true);
  });
});
