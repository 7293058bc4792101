// Data sets: upload a CSV/TSV file, see how the service parses it (columns, first rows, bad rows
// with the reason), and list the uploads.
import { api, session } from './api.js';
import { el, short, table } from './dom.js';
import { loadTaskLists, registry } from './taskPicker.js';

let useInForms = () => {};
/** Called with an upload (and its label values) when the user wants to train on it. */
export function whenUploadChosen(f) {
  useInForms = f;
}

async function upload(event) {
  event.preventDefault();
  const file = document.getElementById('upload-file').files[0];
  const msg = document.getElementById('upload-message');
  if (!file) return void (msg.textContent = 'choose a file first');
  const tsv = /\.tsv$/i.test(file.name);
  try {
    const res = await fetch(`/api/datasets?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { 'content-type': tsv ? 'text/tab-separated-values' : 'text/csv', ...(session.token ? { authorization: `Bearer ${session.token}` } : {}) },
      body: await file.arrayBuffer(),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${body.error.code}: ${body.error.message}`);
    msg.textContent = `stored ${body.name} as ${body.id}: ${body.rows} rows, ${body.badRows} bad`;
    await loadTaskLists();
    refreshDatasets();
    await showPreview(body.id, guessColumns(body.columns));
  } catch (err) {
    msg.textContent = err.message;
  }
}

/** With `text` and `label` columns, the preview also checks rows as a training job reads them. */
const guessColumns = (columns) => (columns.includes('text') && columns.includes('label') ? { textColumn: 'text', labelColumn: 'label' } : undefined);

/** The preview of one upload; with text and label columns chosen, the rows a job would refuse too. */
export async function showPreview(id, columns) {
  const q = new URLSearchParams({ rows: '8', ...(columns ?? {}) });
  const p = await api(`/api/datasets/${encodeURIComponent(id)}/preview?${q}`);
  const box = document.getElementById('preview');
  const labelCol = p.columns.includes('label') ? 'label' : Object.keys(p.labelValues).at(-1);
  const values = labelCol ? p.labelValues[labelCol] : undefined;
  box.replaceChildren(
    el('h3', {}, `${p.dataset.name} · ${p.dataset.rows} rows · ${p.columns.length} columns`),
    el('p', { class: 'muted' }, `columns: ${p.columns.join(', ')}`),
    table(['line', ...p.columns], p.rows.map((r) => [r.line, ...r.cells]), { numeric: [0], attrs: { id: 'preview-rows' } }),
    el('h3', {}, p.badRowCount ? `${p.badRowCount} row${p.badRowCount > 1 ? 's' : ''} with problems` : 'No bad rows'),
    p.badRowCount ? table(['line', 'reason'], p.badRows.map((b) => [b.line, b.reason]), { numeric: [0], attrs: { id: 'preview-bad' } }) : '',
    values ? el('p', { class: 'muted', id: 'preview-labels' }, `values of ${labelCol}: ${values.map((v) => `${v.value} (${v.count})`).join(', ')}`) : '',
    el('button', { type: 'button', id: 'preview-use', onclick: () => useInForms({ trainId: id, labels: values?.map((v) => v.value).filter(Boolean), name: p.dataset.name.replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '-') }) }, 'Train on this file'),
  );
  box.hidden = false;
}

export async function refreshDatasets() {
  const list = registry.datasets;
  document.getElementById('datasets').replaceChildren(
    list.length
      ? table(
          ['file', 'id', 'rows', 'bad rows', 'columns', 'uploaded', ''],
          list.map((d) => [d.name, d.id, d.rows, d.badRows, d.columns.join(', '), short(d.createdAt), el('button', { class: 'secondary', type: 'button', onclick: () => showPreview(d.id, guessColumns(d.columns)) }, 'Preview')]),
          { numeric: [2, 3] },
        )
      : el('p', { class: 'muted' }, 'No uploads yet.'),
  );
}

export function initDatasets() {
  document.getElementById('upload-form').addEventListener('submit', upload);
}
