// The run page: what a run is, how it was made (config), how it scored, the bank prompts it used
// (a transfer) or found (a retrieval), its curve, its files and a download of its folder.
import { api, download } from './api.js';
import { curveChart } from './charts.js';
import { bytes, el, num, pct, table } from './dom.js';

const value = (v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const metric = (k, v) => (typeof v === 'number' && /accuracy|score/i.test(k) && v >= 0 && v <= 1 ? pct(v) : typeof v === 'number' ? num(v, 4) : value(v));

export async function showRun(id) {
  const box = document.getElementById('run');
  box.replaceChildren(el('p', { class: 'muted' }, 'loading…'));
  let run;
  try {
    run = await api(`/api/runs/${encodeURIComponent(id)}`);
  } catch (err) {
    return void box.replaceChildren(el('p', { class: 'error' }, err.message));
  }
  const status = run.job?.status ?? 'stored';
  const message = el('span', { class: 'muted', id: 'download-message' });
  const curve = el('div', { class: 'curve-box wide' });
  box.replaceChildren(
    el('h2', {}, `Run ${run.id}`),
    el('p', {}, el('span', { class: `status ${status}` }, status), ` ${run.task ?? ''} · ${run.kind ?? 'run'} · ${run.files.length} files, ${bytes(run.bytes)} `),
    el('div', { class: 'row' }, el('button', { id: 'download', type: 'button', onclick: () => download(`/api/runs/${encodeURIComponent(run.id)}/download`, `${run.id}.tar`).then(() => (message.textContent = `downloaded ${run.id}.tar`), (err) => (message.textContent = err.message)) }, 'Download folder (.tar)'), message),
    el(
      'div',
      { class: 'columns' },
      el('div', {}, el('h3', {}, 'Metrics'), run.metrics ? table(['metric', 'value'], Object.entries(run.metrics).map(([k, v]) => [k, metric(k, v)]), { numeric: [1], attrs: { id: 'run-metrics' } }) : el('p', { class: 'muted' }, 'none yet')),
      el('div', {}, el('h3', {}, 'Config'), run.config ? table(['option', 'value'], Object.entries(run.config).map(([k, v]) => [k, value(v)]), { attrs: { id: 'run-config', class: 'wrap' } }) : el('p', { class: 'muted' }, 'none')),
    ),
    run.sources.length
      ? el('div', {}, el('h3', {}, run.kind === 'transfer' ? 'Sources (ranked by the PANDA metric; chosen ones marked)' : 'Bank prompts found'), table(['', 'bank entry', 'task', 'similarity', 'β'], run.sources.map((s) => [s.chosen ? '✓ used' : '', s.id, s.task, num(s.similarity, 4), num(s.beta, 4)]), { numeric: [3, 4], attrs: { id: 'run-sources', class: 'wrap' } }))
      : '',
    run.teachers.length ? el('div', {}, el('h3', {}, 'Teachers'), table(['sources', 'dev', 'test'], run.teachers.map((t) => [(t.sources ?? []).join(' + '), pct(t.devAccuracy), pct(t.testAccuracy)]), { numeric: [1, 2], attrs: { id: 'run-teachers' } })) : '',
    el('h3', {}, 'Training curve'),
    curve,
    el('h3', {}, 'Files'),
    table(['file', 'size'], run.files.map((f) => [f.path, bytes(f.bytes)]), { numeric: [1], attrs: { id: 'run-files' } }),
  );
  if (run.job) curveChart(curve, run.job.progress);
  else curve.replaceChildren(el('p', { class: 'muted' }, 'no job record'));
}
