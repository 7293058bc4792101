// The job form: tuning, retrieval and transfer jobs with the options that matter.
import { api } from './api.js';
import { el } from './dom.js';
import { showJob } from './jobs.js';
import { taskPicker } from './taskPicker.js';

const KINDS = { tune: '/api/jobs', retrieve: '/api/retrieve', transfer: '/api/transfer' };

function field(label, input, kinds) {
  return el('label', { 'data-kinds': kinds }, label, input);
}

const number = (id, value, min = 1) => el('input', { id, type: 'number', min, value });

export function jobForm() {
  const picker = taskPicker('job');
  const kind = el('select', { id: 'job-kind' }, el('option', { value: 'tune' }, 'tune'), el('option', { value: 'retrieve' }, 'retrieve (bank search)'), el('option', { value: 'transfer' }, 'transfer (PANDA)'));
  const method = el('select', { id: 'job-method' }, ...['prompt-tuning', 'deep-prompt-tuning', 'linear-probe', 'model-tuning'].map((m) => el('option', {}, m)));
  const promptLength = number('job-prompt-length', 8);
  const epochs = number('job-epochs', 1);
  const batchSize = number('job-batch', 16);
  const maxTrain = number('job-max-train', 64);
  const maxEval = number('job-max-eval', 100);
  const maxTest = number('job-max-test', 100);
  const pairEncoding = el('select', { id: 'job-pair-encoding' }, el('option', { value: '' }, 'model default'), ...['two-tower', 'joined', 'tokenizer'].map((p) => el('option', {}, p)));
  const template = el('input', { id: 'job-template', size: 26, placeholder: "e.g. {text} {soft:'It was'} {mask}." });
  const storeInBank = el('input', { id: 'job-store', type: 'checkbox' });
  const k = number('job-k', 1);
  const fusion = el('select', { id: 'job-fusion' }, ...['best', 'early', 'late'].map((f) => el('option', {}, f)));
  const probeEpochs = number('job-probe-epochs', 1);
  const message = el('span', { id: 'job-message', class: 'muted' });
  const form = el(
    'form',
    { id: 'job-form' },
    el('div', { class: 'row' }, el('label', {}, 'Job', kind)),
    picker.node,
    el(
      'div',
      { class: 'row' },
      field('Method', method),
      field('Prompt length', promptLength),
      field('Epochs', epochs),
      field('Batch', batchSize),
      field('Max train', maxTrain),
      field('Max dev', maxEval),
      field('Max test', maxTest, 'tune transfer'),
      field('Pair encoding', pairEncoding),
      field('Template', template),
      field('Sources k', k, 'retrieve transfer'),
      field('Fusion', fusion, 'transfer'),
      field('Probe epochs', probeEpochs, 'retrieve transfer'),
      el('label', { 'data-kinds': 'tune', class: 'check' }, storeInBank, 'store in bank'),
    ),
    el('div', { class: 'row' }, el('button', { type: 'submit' }, 'Start job'), message),
  );
  const showFields = () => {
    for (const node of form.querySelectorAll('[data-kinds]')) node.hidden = !node.dataset.kinds.split(' ').includes(kind.value);
  };
  kind.addEventListener('change', showFields);
  showFields();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const config = {
      method: method.value,
      promptLength: Number(promptLength.value),
      epochs: Number(epochs.value),
      batchSize: Number(batchSize.value),
      maxTrainExamples: Number(maxTrain.value),
      maxEvalExamples: Number(maxEval.value),
      ...(pairEncoding.value ? { pairEncoding: pairEncoding.value } : {}),
      ...(template.value.trim() ? { template: template.value.trim() } : {}),
    };
    const task = picker.value();
    const body =
      kind.value === 'tune'
        ? { task, config, maxTestExamples: Number(maxTest.value), storeInBank: storeInBank.checked }
        : kind.value === 'retrieve'
          ? { task, config, k: Number(k.value), probeEpochs: Number(probeEpochs.value) }
          : { task, config, maxTestExamples: Number(maxTest.value), transfer: { k: Number(k.value), fusion: fusion.value, probeEpochs: Number(probeEpochs.value) } };
    try {
      const job = await api(KINDS[kind.value], { method: 'POST', json: body });
      message.textContent = `started ${job.id}`;
      showJob(job);
    } catch (err) {
      message.textContent = err.message;
    }
  });
  return { node: form, picker };
}
