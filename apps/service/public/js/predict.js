// Prediction with a stored prompt, and the table of stored prompts.
import { api } from './api.js';
import { el, pct, short, table } from './dom.js';

export async function refreshPrompts() {
  const { prompts } = await api('/api/prompts');
  document.getElementById('prompts').replaceChildren(
    prompts.length
      ? table(
          ['prompt', 'task', 'method', 'rows', 'dev acc.', 'test acc.', 'steps', 'params', 'created'],
          prompts.map((p) => [el('a', { href: `#run/${p.id}` }, p.id), p.task, p.method, p.promptLength, pct(p.metrics.devAccuracy), pct(p.metrics.testAccuracy), p.steps ?? '–', p.trainableParams ?? '–', short(p.createdAt)]),
          { numeric: [3, 4, 5, 6, 7], attrs: { id: 'prompts-table' }, rowAttrs: (i) => ({ 'data-prompt': prompts[i].id }) },
        )
      : el('p', { class: 'muted', id: 'prompts-empty' }, 'No trained prompts yet: start a job above.'),
  );
  const select = document.getElementById('predict-prompt');
  const chosen = select.value;
  // Before the first prompt: one disabled line saying so (not an empty sliver), and no button.
  if (!prompts.length) select.replaceChildren(el('option', { value: '', disabled: true, selected: true }, 'no trained prompts yet'));
  else select.replaceChildren(...prompts.map((p) => el('option', { value: p.id }, `${p.task} · ${p.method} · ${p.id}`)));
  if (chosen && prompts.some((p) => p.id === chosen)) select.value = chosen;
  select.disabled = !prompts.length;
  document.getElementById('predict-button').disabled = !prompts.length;
}

async function predict(event) {
  event.preventDefault();
  const promptId = document.getElementById('predict-prompt').value;
  const texts = document.getElementById('predict-texts').value.split('\n').map((t) => t.trim()).filter(Boolean);
  if (!promptId || !texts.length) return;
  const box = document.getElementById('predictions');
  try {
    const { predictions } = await api('/api/predict', { method: 'POST', json: { items: texts.map((text) => ({ promptId, text })) } });
    box.replaceChildren(table(['text', 'label', 'probability'], predictions.map((p, i) => [texts[i], p.label, pct(p.probabilities[p.labelIndex])]), { numeric: [2], attrs: { id: 'predict-table' } }));
  } catch (err) {
    box.replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

export function initPredict() {
  document.getElementById('predict-form').addEventListener('submit', predict);
}
