/**
 * The benchmark table: panda's training step (tfjs wasm, from `bench-step.ts --out`) against the
 * PyTorch reference step (`experiments/torch/bench_step.py --out`), same shapes, by method and T.
 *
 *   node --conditions=@panda/source --import tsx experiments/bench-compare.ts \
 *     --panda docs/results/bench-step.json --torch experiments/torch/results-reference.json,experiments/torch/results-openblas.json
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { panda: { type: 'string', default: 'docs/results/bench-step.json' }, torch: { type: 'string', default: 'experiments/torch/results-reference.json,experiments/torch/results-openblas.json' }, threads: { type: 'string', default: '1' } } });

interface Row { method: string; T: number; stepsPerSecond: number; threads?: number; blas?: string; promptImpl?: string | null }
const panda = (JSON.parse(readFileSync(values.panda!, 'utf8')) as { rows: Row[] }).rows;
const torchFiles = values.torch!.split(',').filter(Boolean);
const torch: Row[] = torchFiles.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[] }).rows);
const threads = Number(values.threads);
const blasNames = [...new Set(torch.map((r) => r.blas!))];

const header = ['method', 'T', 'panda steps/s', ...blasNames.flatMap((b) => [`torch ${b} steps/s`, `panda / torch ${b}`])];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
for (const p of panda) {
  const cells = [p.method, String(p.T), p.stepsPerSecond.toFixed(2)];
  for (const blas of blasNames) {
    // Prompt tuning: the torch reference computes the whole sequence (`full`), as a plain implementation would.
    const t = torch.find((r) => r.method === p.method && r.T === p.T && r.blas === blas && (r.threads ?? 1) === threads && (r.promptImpl ?? 'full') === 'full');
    cells.push(t ? t.stepsPerSecond.toFixed(2) : '–', t ? `${(p.stepsPerSecond / t.stepsPerSecond).toFixed(2)}×` : '–');
  }
  console.log(`| ${cells.join(' | ')} |`);
}
