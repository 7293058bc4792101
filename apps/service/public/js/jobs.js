// Job cards: status, every phase of the run (train, evaluate, test, features, bank) with its
// progress and ETA, the training curve, and live updates over server-sent events.
import { api, followJob } from './api.js';
import { curveChart, overlayCharts } from './charts.js';
import { duration, el, pct, taskName } from './dom.js';

const cards = new Map();
const streams = new Map();
const compared = new Set();
let onFinished = () => {};

/** Called when a job the page follows ends (to refresh the tables that depend on it). */
export function whenJobEnds(f) {
  onFinished = f;
}

const kindLabel = (job) => (job.kind === 'tune' ? job.request?.config?.method || 'prompt-tuning' : job.kind === 'transfer' ? `transfer (${job.request?.config?.method || 'prompt-tuning'})` : 'retrieval');

/** One line of a transfer or retrieval result. */
function resultLine(job) {
  const r = job.result;
  if (!r) return '';
  if (job.kind === 'retrieve') return `nearest: ${(r.hits || []).map((h) => `${h.task} ${h.score.toFixed(3)}`).join(', ') || 'none'}`;
  if (job.kind === 'transfer') return `sources ${r.sources.map((s) => `${s.task} (β ${s.beta.toFixed(2)})`).join(', ')} → student dev ${pct(r.student.devAccuracy)}`;
  return r.bankId ? `in the bank as ${r.bankId}` : '';
}

/** The phase chips: each phase's progress, ✓ when its pass is complete, the running one with its ETA. */
function phaseChips(progress, status) {
  const phases = progress.phases || [];
  return phases.map((p) => {
    const current = status === 'running' && progress.phase === p.name;
    const complete = p.total > 0 && p.done >= p.total;
    const eta = current && !complete && p.etaSeconds != null ? ` · ETA ${duration(p.etaSeconds)}` : '';
    const text = `${p.name} ${p.done}/${p.total} ${p.unit}${complete ? ' ✓' : ''}${eta}`;
    return el('span', { class: `phase${current ? ' current' : ''}${complete ? ' complete' : ''}`, 'data-phase': p.name, title: `${p.name}: ${duration(p.seconds)} so far` }, text);
  });
}

function jobCard(job) {
  const status = el('span', { class: 'status' });
  const phases = el('div', { class: 'phases' });
  const bar = el('div');
  const info = el('div', { class: 'muted info' });
  const buttons = el('div', { class: 'row buttons' });
  const curve = el('div', { class: 'curve-box' });
  const check = el('input', { type: 'checkbox', class: 'compare', onchange: () => (check.checked ? compared.add(job.id) : compared.delete(job.id), drawCompare()) });
  const card = el(
    'div',
    { class: 'job', 'data-job': job.id },
    el(
      'div',
      { class: 'job-side' },
      el('div', { class: 'title' }, `${taskName(job)} · ${kindLabel(job)}`),
      el('div', { class: 'muted' }, el('a', { href: `#run/${job.id}` }, job.id)),
      status,
      phases,
      el('div', { class: 'bar' }, bar),
      info,
      buttons,
      el('label', { class: 'muted' }, check, ' compare'),
    ),
    curve,
  );
  const update = (j) => {
    status.textContent = j.status;
    status.className = `status ${j.status}`;
    const p = j.progress;
    phases.replaceChildren(...phaseChips(p, j.status));
    const now = (p.phases || []).find((x) => x.name === p.phase);
    const fraction = j.status === 'done' ? 1 : now && now.total ? now.done / now.total : p.total ? p.step / p.total : 0;
    bar.style.width = `${Math.min(100, 100 * fraction)}%`;
    const last = p.evals?.length ? p.evals[p.evals.length - 1] : undefined;
    const m = j.result?.metrics;
    info.textContent = [p.loss != null ? `loss ${p.loss.toFixed(4)}` : '', last ? `dev ${pct(last.devAccuracy)}` : '', m?.testScore != null ? `test ${pct(m.testScore)}` : '', resultLine(j), j.status === 'running' && p.message ? p.message : '', j.error && j.status !== 'done' ? j.error.message : '']
      .filter(Boolean)
      .join(' · ');
    buttons.replaceChildren();
    if (j.status === 'queued' || j.status === 'running') buttons.append(el('button', { class: 'secondary', onclick: () => act(j.id, 'cancel') }, 'Cancel'));
    if (j.status === 'interrupted' || j.status === 'cancelled') buttons.append(el('button', { class: 'secondary', onclick: () => act(j.id, 'resume') }, 'Resume'));
    buttons.append(el('a', { class: 'button secondary', href: `#run/${j.id}` }, 'Run page'));
    curveChart(curve, p);
  };
  return { card, update, job };
}

async function act(id, what) {
  try {
    showJob(await api(`/api/jobs/${encodeURIComponent(id)}/${what}`, { method: 'POST' }));
  } catch (err) {
    document.getElementById('job-message').textContent = err.message;
  }
}

/** Shows (or updates) a job's card and follows it while it runs. */
export function showJob(job) {
  let c = cards.get(job.id);
  if (!c) {
    c = jobCard(job);
    cards.set(job.id, c);
    document.getElementById('jobs').prepend(c.card);
  }
  c.job = job;
  c.update(job);
  if ((job.status === 'running' || job.status === 'queued') && !streams.has(job.id)) follow(job.id);
  if (compared.has(job.id)) drawCompare();
}

async function follow(id) {
  const controller = new AbortController();
  streams.set(id, controller);
  try {
    await followJob(id, (event, data) => onJobEvent(id, event, data), controller.signal);
  } catch {
    // stream closed: the next refresh picks the job up again
  } finally {
    streams.delete(id);
  }
}

function onJobEvent(id, event, data) {
  const c = cards.get(id);
  if (event === 'snapshot' || event === 'status') return showJob(data);
  if (event === 'end') return onFinished(id);
  if (event !== 'progress' || !c) return;
  const p = c.job.progress;
  // As the service keeps the curve: a resumed run repeats its steps after the checkpoint (dropped below), a transfer's next run continues it.
  if (data.type === 'start') p.total = data.total;
  if (data.type === 'step') {
    while (p.losses.length && p.losses[p.losses.length - 1][0] >= data.step) p.losses.pop();
    p.step = data.step;
    p.total = data.total;
    p.loss = data.loss ?? null;
    if (Number.isFinite(data.loss)) p.losses.push([data.step, data.loss]);
  }
  if (data.type === 'eval') p.evals.push({ step: data.metrics.step ?? p.step, epoch: data.epoch, devAccuracy: data.metrics.devAccuracy ?? data.metrics.devScore, trainLoss: data.metrics.trainLoss ?? null });
  if (data.type === 'log') p.message = data.message;
  if (data.state) {
    p.phase = data.state.phase;
    p.phases = data.state.phases;
  }
  c.update(c.job);
}

export async function refreshJobs() {
  const { jobs } = await api('/api/jobs');
  for (const job of jobs.slice().reverse()) showJob(job);
}

/** The comparison panel: the checked runs' curves overlaid. */
function drawCompare() {
  const box = document.getElementById('compare');
  const runs = [...compared].map((id) => cards.get(id)?.job).filter(Boolean);
  box.hidden = runs.length === 0;
  if (!runs.length) return;
  document.getElementById('compare-title').textContent = `Comparing ${runs.length} run${runs.length > 1 ? 's' : ''}`;
  overlayCharts(document.getElementById('compare-loss'), document.getElementById('compare-dev'), runs.map((j) => ({ label: `${taskName(j)} · ${kindLabel(j)} · ${j.id.slice(-6)}`, progress: j.progress })));
}
