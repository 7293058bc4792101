// The grid view: a `panda grid` run's baselines per target, its source × target tables per transfer
// method, the gains over prompt tuning and the PANDA metric between the tasks, as heatmaps.
import { api } from './api.js';
import { el, pct } from './dom.js';
import { heatmap } from './heatmap.js';

const NAMES = { pot: 'PoT (vanilla prompt transfer)', panda: 'PANDA (β from the metric)', 'panda-constant': 'PANDA, constant β' };

export async function refreshGrids() {
  const { grids } = await api('/api/grids');
  const select = document.getElementById('grid-select');
  const keep = select.value;
  select.replaceChildren(...grids.map((g) => el('option', { value: g.name }, `${g.name} (${g.done}/${g.cells} runs)`)));
  document.getElementById('grid-empty').hidden = grids.length > 0;
  if (keep && grids.some((g) => g.name === keep)) select.value = keep;
  if (grids.length && !document.getElementById('grid').childElementCount) await showGrid(select.value);
}

function matrixTable(m, cell, id) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { id, class: 'matrix' },
      el('thead', {}, el('tr', {}, el('th', {}, 'source \\ target'), ...m.cols.map((c) => el('th', { class: 'num' }, c)))),
      el('tbody', {}, ...m.rows.map((r, i) => el('tr', {}, el('th', {}, r), ...m.values[i].map((v, j) => el('td', { class: 'num' }, r === m.cols[j] ? '·' : cell(v)))))),
    ),
  );
}

export async function showGrid(name) {
  if (!name) return;
  const g = await api(`/api/grids/${encodeURIComponent(name)}`);
  const box = document.getElementById('grid');
  const baseRows = Object.entries(g.baselines).map(([kind, byTarget]) => el('tr', {}, el('th', {}, kind), ...g.targets.map((t) => el('td', { class: 'num' }, pct(byTarget[t])))));
  const parts = [
    el('p', { class: 'muted' }, `${g.sources.length} sources × ${g.targets.length} targets; scores: dev ${g.metric}; ${g.cells.filter((c) => c.status === 'done').length} of ${g.cells.length} runs done`),
    el('h3', {}, 'Baselines per target'),
    el('div', { class: 'table-wrap' }, el('table', { id: 'grid-baselines', class: 'matrix' }, el('thead', {}, el('tr', {}, el('th', {}, 'method'), ...g.targets.map((t) => el('th', { class: 'num' }, t)))), el('tbody', {}, ...baseRows))),
  ];
  for (const [kind, m] of Object.entries(g.tables)) {
    parts.push(el('h3', {}, `${NAMES[kind] ?? kind}: source × target dev score`), matrixTable(m, pct, `grid-table-${kind}`));
    const gain = g.gains[kind];
    const extent = Math.max(1, ...gain.values.flat().filter((v) => v !== null).map(Math.abs));
    parts.push(heatmap({ ...gain, min: -extent, max: extent, center: 0, digits: 1, id: `gain-${kind}`, label: `${NAMES[kind] ?? kind}: gain over prompt tuning on the target (points of dev ${g.metric})` }));
  }
  if (g.similarity) {
    const lo = Math.min(...g.similarity.values.flat());
    parts.push(el('h3', {}, 'PANDA metric between the tasks'), heatmap({ ...g.similarity, min: Math.min(lo, 0), max: 1, id: 'grid-similarity', label: 'cosine of task embeddings (each task through its own prompt)' }));
  }
  box.replaceChildren(...parts);
  box.dataset.grid = name;
}

export function initGrids() {
  document.getElementById('grid-select').addEventListener('change', (e) => showGrid(e.target.value));
}
