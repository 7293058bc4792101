// The prompt bank: its entries, the task-similarity heatmap, and search by a data set (which
// stored prompts suit my data: a retrieval job, as `panda bank search --train`).
import { api, waitForJob } from './api.js';
import { el, num, pct, short, table } from './dom.js';
import { heatmap } from './heatmap.js';
import { showJob } from './jobs.js';
import { taskPicker } from './taskPicker.js';

const metricText = (m) => (m ? Object.entries(m).map(([k, v]) => `${k} ${k.toLowerCase().includes('accuracy') ? pct(v) : num(v)}`).join(', ') : '–');

export async function refreshBank() {
  const { entries } = await api('/api/bank');
  document.getElementById('bank').replaceChildren(
    entries.length
      ? table(['entry', 'task', 'method', 'model', 'metrics', 'created'], entries.map((e) => [e.id, e.task, e.method, e.model.split('@')[0], metricText(e.metrics), short(e.createdAt)]), { attrs: { id: 'bank-table', class: 'wrap' }, rowAttrs: (i) => ({ 'data-entry': entries[i].id }) })
      : el('p', { class: 'muted', id: 'bank-empty' }, 'The bank is empty: start a job with “store in bank”.'),
  );
  const sim = await api('/api/bank/similarity');
  const box = document.getElementById('heatmap');
  if (!sim.tasks.length) return void box.replaceChildren(el('p', { class: 'muted' }, 'No task embeddings in the bank yet.'));
  const lo = Math.min(...sim.matrix.flat());
  box.replaceChildren(heatmap({ rows: sim.tasks, cols: sim.tasks, values: sim.matrix, min: Math.min(lo, 0), max: 1, id: 'bank', label: `cosine similarity of the tasks’ embeddings (${sim.model})` }));
}

export function bankSearch() {
  const picker = taskPicker('search');
  const method = el('select', { id: 'search-method' }, el('option', {}, 'prompt-tuning'), el('option', {}, 'deep-prompt-tuning'));
  const k = el('input', { id: 'search-k', type: 'number', min: 1, value: 5 });
  const promptLength = el('input', { id: 'search-prompt-length', type: 'number', min: 1, value: 4 });
  const maxTrain = el('input', { id: 'search-max-train', type: 'number', min: 1, value: 64 });
  const message = el('span', { id: 'search-message', class: 'muted' });
  const results = el('div', { id: 'search-results' });
  const form = el(
    'form',
    { id: 'search-form' },
    picker.node,
    el('div', { class: 'row' }, el('label', {}, 'Method', method), el('label', {}, 'Prompt length', promptLength), el('label', {}, 'Max train', maxTrain), el('label', {}, 'k', k), el('button', { type: 'submit' }, 'Search the bank'), message),
    results,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    results.replaceChildren();
    try {
      const job = await api('/api/retrieve', { method: 'POST', json: { task: picker.value(), k: Number(k.value), probeEpochs: 1, config: { method: method.value, promptLength: Number(promptLength.value), maxTrainExamples: Number(maxTrain.value), maxEvalExamples: 64, batchSize: 16 } } });
      showJob(job);
      message.textContent = `searching (job ${job.id}): a one-epoch probe run gives the data set's task embedding…`;
      const done = await waitForJob(job.id);
      if (done.status !== 'done') throw new Error(done.error?.message ?? done.status);
      const r = done.result;
      message.textContent = `${r.target}: task embedding from a probe run (dev ${pct(r.probe.devScore ?? r.probe.devAccuracy)}); ${r.hits.length} prompts, best first`;
      results.replaceChildren(
        table(['rank', 'bank entry', 'task', 'similarity', 'β', 'metrics'], r.hits.map((h, i) => [i + 1, h.id, h.task, num(h.similarity ?? h.score, 4), num(h.beta, 4), metricText(h.metrics)]), { numeric: [0, 3, 4], attrs: { id: 'search-table', class: 'wrap' } }),
      );
    } catch (err) {
      message.textContent = err.message;
    }
  });
  return form;
}
