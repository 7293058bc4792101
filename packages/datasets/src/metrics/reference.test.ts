import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MetricName } from '../types.js';
import { computeMetric, METRIC_NAMES } from './score.js';

interface Case {
  pred: number[];
  gold: number[];
  groups?: string[];
  labels?: number[];
  expected: number | null;
}

// Reference values computed with scikit-learn 1.2.1 / SciPy 1.10.1 by ../../reference/metrics_reference.py.
const reference = JSON.parse(readFileSync(fileURLToPath(new URL('../../reference/metrics-reference.json', import.meta.url)), 'utf8')) as {
  versions: Record<string, string>;
  cases: Record<MetricName, Case[]>;
};

const TOLERANCE = 1e-12;

describe('metrics equal scikit-learn / SciPy reference values', () => {
  const parity: Record<string, { cases: number; maxAbsDiff: number; nan: number }> = {};

  it.each(METRIC_NAMES)('%s', (name) => {
    const cases = reference.cases[name];
    expect(cases, `no reference cases for ${name}`).toBeDefined();
    expect(cases.length).toBeGreaterThanOrEqual(20);
    let maxAbsDiff = 0;
    let nan = 0;
    cases.forEach((c, i) => {
      const got = computeMetric(name, c.pred, c.gold, { ...(c.groups ? { groups: c.groups } : {}), ...(c.labels ? { labels: c.labels } : {}) });
      if (c.expected === null) {
        nan++;
        expect(got, `${name} case ${i}: expected NaN`).toBeNaN();
        return;
      }
      const diff = Math.abs(got - c.expected);
      maxAbsDiff = Math.max(maxAbsDiff, diff);
      expect(diff, `${name} case ${i}: got ${got}, reference ${c.expected}`).toBeLessThanOrEqual(TOLERANCE);
    });
    parity[name] = { cases: cases.length, maxAbsDiff, nan };
  });

  it('prints the parity table (docs/results/datasets.md)', () => {
    const rows = METRIC_NAMES.map((m) => `| ${m} | ${parity[m]?.cases ?? '-'} | ${parity[m]?.nan ?? '-'} | ${parity[m] ? parity[m].maxAbsDiff.toExponential(2) : '-'} |`);
    console.log(
      [`reference: ${Object.entries(reference.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`, '| metric | cases | NaN cases | max abs diff |', '|---|---|---|---|', ...rows].join('\n'),
    );
  });
});
