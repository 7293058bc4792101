/**
 * The paper's regime on USE-Lite (issue 16), in parts that each commit their tables under
 * experiments/results/paper-regime/<part>/ (plan and budget: docs/design/paper-regime-plan.md;
 * settings: experiments/paper-regime/settings.ts). Every part resumes where it stopped.
 *
 *   node --conditions=@panda/source --import tsx experiments/paper-regime.ts sources [--workers 2]
 *   node --conditions=@panda/source --import tsx experiments/paper-regime.ts gate [--workers 2]
 *   node --conditions=@panda/source --import tsx experiments/paper-regime.ts target cb [--workers 2]
 *   node --conditions=@panda/source --import tsx experiments/paper-regime.ts kd cb [--workers 2]
 *   node --conditions=@panda/source --import tsx experiments/paper-regime.ts report
 *
 * `sources --only probes` runs just the linear probes; `sources --only export` writes the committed
 * tables from what the sources' grid has finished so far, and `target <t> --only export` the same for a target (while it runs, or after it was stopped). `--smoke` runs the same pipeline with tiny settings in experiments/results/paper-regime/smoke/
 * (minutes; not a result). `kd <t>` is the stronger-distillation arm on a target whose sweep is
 * committed (λ = 1, plain-mean KD; prompt tuning, PoT and PANDA at seed 1; `<t>/kd-strong/`).
 * `report` reads only the committed tables.
 */
import { parseArgs } from 'node:util';
import { gatePart, sourcesPart, targetPart } from './paper-regime/parts.js';
import { writeReport } from './paper-regime/report.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { workers: { type: 'string' }, smoke: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } } });
const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`);
const options = { log, smoke: values.smoke, ...(values.workers ? { workers: Number(values.workers) } : {}) };
const [part, target] = positionals;

if (part === 'sources') await sourcesPart({ ...options, ...(values.only === 'export' || values.only === 'probes' ? { only: values.only } : {}) });
else if (part === 'gate') await gatePart(options);
else if (part === 'target' && target) await targetPart(target, { ...options, ...(values.only === 'export' ? { only: values.only } : {}) });
else if (part === 'kd' && target) await targetPart(target, { ...options, arm: 'kd-strong', ...(values.only === 'export' ? { only: values.only } : {}) });
else if (part === 'report') log(`wrote ${await writeReport({ smoke: values.smoke, ...(values.out ? { out: values.out } : {}) })}`);
else throw new Error(`usage: paper-regime.ts sources | gate | target <task> | kd <task> | report [--smoke] [--workers N]`);
