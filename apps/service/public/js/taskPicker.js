// Choosing a target task: a registered task, or uploaded files (train, dev, optional test) with
// their columns and labels. Used by the job form and the bank search.
import { api } from './api.js';
import { el } from './dom.js';

export const registry = { tasks: [], datasets: [] };
const pickers = [];

export async function loadTaskLists() {
  const [{ tasks }, { datasets }] = await Promise.all([api('/api/tasks'), api('/api/datasets')]);
  registry.tasks = tasks.filter((t) => t.trainable);
  registry.datasets = datasets;
  for (const p of pickers) p.refresh();
}

const UPLOAD = '__upload__';

/** A task picker; `prefix` names its fields' ids (`<prefix>-task`, `<prefix>-train`, ...). */
export function taskPicker(prefix) {
  const task = el('select', { id: `${prefix}-task` });
  const select = (name, optional) => el('select', { id: `${prefix}-${name}`, 'data-optional': optional ? 'true' : undefined });
  const train = select('train');
  const dev = select('dev');
  const test = select('test', true);
  const textColumn = select('text-column');
  const textBColumn = select('textb-column', true);
  const labelColumn = select('label-column');
  const labels = el('input', { id: `${prefix}-labels`, placeholder: 'neg,pos', size: 18 });
  const name = el('input', { id: `${prefix}-name`, value: 'custom', size: 10 });
  const files = el(
    'div',
    { class: 'row files', hidden: true },
    el('label', {}, 'Name', name),
    el('label', {}, 'Train file', train),
    el('label', {}, 'Dev file', dev),
    el('label', {}, 'Test file', test),
    el('label', {}, 'Text column', textColumn),
    el('label', {}, 'Second text', textBColumn),
    el('label', {}, 'Label column', labelColumn),
    el('label', {}, 'Labels (in order)', labels),
  );
  const fillColumns = () => {
    const ds = registry.datasets.find((d) => d.id === train.value);
    const cols = ds?.columns ?? [];
    for (const [s, optional, guess] of [[textColumn, false, 'text'], [textBColumn, true, ''], [labelColumn, false, 'label']]) {
      const keep = s.value;
      s.replaceChildren(...(optional ? [el('option', { value: '' }, '(none)')] : []), ...cols.map((c) => el('option', { value: c }, c)));
      s.value = cols.includes(keep) ? keep : cols.includes(guess) ? guess : optional ? '' : (cols[0] ?? '');
    }
  };
  const refresh = () => {
    // The user's choice stays; before one, the first registered task.
    const keep = task.dataset.touched ? task.value : (registry.tasks[0]?.name ?? UPLOAD);
    task.replaceChildren(...registry.tasks.map((t) => el('option', { value: t.name }, `${t.name}${t.builtin ? '' : ' (data directory)'}`)), el('option', { value: UPLOAD }, 'uploaded files…'));
    if (keep) task.value = keep;
    for (const s of [train, dev, test]) {
      const k = s.value;
      const opts = registry.datasets.map((d) => el('option', { value: d.id }, `${d.name} (${d.rows} rows)`));
      s.replaceChildren(...(s.dataset.optional ? [el('option', { value: '' }, '(none)')] : []), ...opts);
      if (k) s.value = k;
    }
    fillColumns();
    files.hidden = task.value !== UPLOAD;
  };
  task.addEventListener('change', () => {
    task.dataset.touched = 'true';
    refresh();
  });
  train.addEventListener('change', fillColumns);
  pickers.push({ refresh });
  refresh();
  return {
    node: el('div', { class: 'task-picker' }, el('div', { class: 'row' }, el('label', {}, 'Task', task)), files),
    /** The request's `task`: a registered name, or the uploaded files. */
    value() {
      if (task.value !== UPLOAD) return task.value;
      const list = labels.value.split(',').map((l) => l.trim()).filter(Boolean);
      return {
        name: name.value || 'custom',
        train: train.value,
        dev: dev.value,
        ...(test.value ? { test: test.value } : {}),
        textColumn: textColumn.value,
        ...(textBColumn.value ? { textBColumn: textBColumn.value } : {}),
        labelColumn: labelColumn.value,
        labels: list,
        skipBadRows: true,
      };
    },
    /** Chooses uploaded files (after an upload): train (and dev) and the labels. */
    useUpload({ trainId, devId, labels: values, name: taskName }) {
      task.value = UPLOAD;
      task.dataset.touched = 'true';
      refresh();
      train.value = trainId;
      dev.value = devId ?? trainId;
      fillColumns();
      if (values) labels.value = values.join(',');
      if (taskName) name.value = taskName;
    },
  };
}
