// The panda web page: plain ES module, no build step. Reads the service's JSON API, follows running
// jobs over server-sent events (read with fetch, so the access token travels in a header) and draws
// training curves and the heatmap as SVG. Text from the server is only ever set as textContent.

const SVG = 'http://www.w3.org/2000/svg';
const state = { token: sessionStorage.getItem('panda-token') || '', tasks: [], cards: new Map(), streams: new Map() };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');
const short = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) : '–');

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    options = { ...options, body: JSON.stringify(options.json) };
  }
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401) {
    document.getElementById('token-form').hidden = false;
    throw new Error('access token needed');
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

// ---- jobs -------------------------------------------------------------------------------------

function drawCurve(container, progress) {
  const w = 600;
  const h = 150;
  const pad = { l: 34, r: 30, t: 8, b: 18 };
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'curve', role: 'img', 'aria-label': 'training curve' });
  const losses = progress.losses || [];
  const evals = (progress.evals || []).filter((e) => Number.isFinite(e.devAccuracy));
  const total = Math.max(progress.total || 0, ...losses.map((p) => p[0]), 1);
  const maxLoss = Math.max(0.1, ...losses.map((p) => p[1]));
  const x = (step) => pad.l + ((w - pad.l - pad.r) * step) / total;
  const yLoss = (v) => h - pad.b - ((h - pad.t - pad.b) * v) / maxLoss;
  const yAcc = (v) => h - pad.b - (h - pad.t - pad.b) * v;
  chart.append(svg('line', { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: 'axis' }));
  chart.append(svg('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: 'axis' }));
  const label = (text, attrs) => {
    const t = svg('text', attrs);
    t.textContent = text;
    chart.append(t);
  };
  label(maxLoss.toFixed(2), { x: 2, y: pad.t + 8 });
  label('loss', { x: 2, y: h / 2 });
  label('0', { x: 2, y: h - pad.b });
  label(`step ${total}`, { x: w - pad.r - 40, y: h - 4 });
  label('dev acc.', { x: w - pad.r + 2, y: pad.t + 8 });
  if (losses.length) chart.append(svg('polyline', { class: 'loss', points: losses.map(([s, v]) => `${x(s).toFixed(1)},${yLoss(v).toFixed(1)}`).join(' ') }));
  for (const e of evals) {
    const dot = svg('circle', { cx: x(e.step), cy: yAcc(e.devAccuracy), r: 3.5, class: 'acc' });
    const title = svg('title');
    title.textContent = `epoch ${e.epoch}: dev accuracy ${pct(e.devAccuracy)}`;
    dot.append(title);
    chart.append(dot);
  }
  container.replaceChildren(chart);
}

/** One line for a transfer or retrieval result: the sources found, the student's score. */
function resultLine(job) {
  const r = job.result;
  if (!r) return '';
  if (job.kind === 'retrieve') return `nearest: ${r.hits.map((h) => `${h.task} ${h.score.toFixed(3)}`).join(', ') || 'none'}`;
  if (job.kind === 'transfer') return `sources ${r.sources.map((s) => `${s.task} (β ${s.beta.toFixed(2)})`).join(', ')} → student dev ${pct(r.student.devAccuracy)}`;
  return r.bankId ? `in the bank as ${r.bankId}` : '';
}

function taskName(job) {
  const t = job.request?.task;
  return typeof t === 'string' ? t : t?.name || 'custom';
}

function jobCard(job) {
  const status = el('span', { class: 'status' });
  const bar = el('div');
  const info = el('div', { class: 'muted' });
  const buttons = el('div', { class: 'row' });
  const curve = el('div', { class: 'curve-box' });
  const card = el(
    'div',
    { class: 'job', 'data-job': job.id },
    el('div', {}, el('div', { class: 'title' }, `${taskName(job)} · ${job.kind === 'tune' ? job.request?.config?.method || 'prompt-tuning' : job.kind}`), el('div', { class: 'muted' }, job.id), status, el('div', { class: 'bar' }, bar), info, buttons),
    curve,
  );
  const update = (j) => {
    status.textContent = j.status;
    status.className = `status ${j.status}`;
    const p = j.progress;
    bar.style.width = `${p.total ? Math.min(100, (100 * p.step) / p.total) : 0}%`;
    const last = p.evals?.length ? p.evals[p.evals.length - 1] : undefined;
    const metrics = j.result?.metrics;
    info.textContent = [`step ${p.step}/${p.total || '?'}`, p.loss != null ? `loss ${p.loss.toFixed(4)}` : '', last ? `dev ${pct(last.devAccuracy)}` : '', metrics?.testAccuracy != null ? `test ${pct(metrics.testAccuracy)}` : '', resultLine(j), j.error && j.status !== 'done' ? j.error.message : '']
      .filter(Boolean)
      .join(' · ');
    buttons.replaceChildren();
    if (j.status === 'queued' || j.status === 'running') buttons.append(el('button', { class: 'secondary', onclick: () => act(j.id, 'cancel') }, 'Cancel'));
    if (j.status === 'interrupted' || j.status === 'cancelled') buttons.append(el('button', { class: 'secondary', onclick: () => act(j.id, 'resume') }, 'Resume'));
    drawCurve(curve, p);
  };
  update(job);
  return { card, update, job };
}

async function act(id, what) {
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/${what}`, { method: 'POST' });
    showJob(job);
  } catch (err) {
    document.getElementById('job-message').textContent = err.message;
  }
}

function showJob(job) {
  let c = state.cards.get(job.id);
  if (!c) {
    c = jobCard(job);
    state.cards.set(job.id, c);
    document.getElementById('jobs').prepend(c.card);
  }
  c.job = job;
  c.update(job);
  if ((job.status === 'running' || job.status === 'queued') && !state.streams.has(job.id)) follow(job.id);
}

/** Follows one job's server-sent events until it ends. */
async function follow(id) {
  const controller = new AbortController();
  state.streams.set(id, controller);
  try {
    const res = await fetch(`/api/jobs/${encodeURIComponent(id)}/events`, { headers: state.token ? { authorization: `Bearer ${state.token}` } : {}, signal: controller.signal });
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!event || !data) continue;
        onJobEvent(id, event, JSON.parse(data));
        if (event === 'end') return;
      }
    }
  } catch {
    // stream closed: the next refresh picks the job up again
  } finally {
    state.streams.delete(id);
  }
}

function onJobEvent(id, event, data) {
  const c = state.cards.get(id);
  if (event === 'snapshot' || event === 'status') return showJob(data);
  if (event === 'end') {
    refreshPrompts();
    return;
  }
  if (event !== 'progress' || !c) return;
  const p = c.job.progress;
  if (data.type === 'start') p.total = data.total;
  if (data.type === 'step') {
    while (p.losses.length && p.losses[p.losses.length - 1][0] >= data.step) p.losses.pop();
    p.step = data.step;
    p.total = data.total;
    p.loss = data.loss ?? null;
    if (Number.isFinite(data.loss)) p.losses.push([data.step, data.loss]);
  }
  if (data.type === 'eval') p.evals.push({ step: data.metrics.step ?? p.step, epoch: data.epoch, devAccuracy: data.metrics.devAccuracy, trainLoss: data.metrics.trainLoss ?? null });
  c.update(c.job);
}

async function refreshJobs() {
  const { jobs } = await api('/api/jobs');
  for (const job of jobs.slice().reverse()) showJob(job);
}

// ---- prompts, prediction ----------------------------------------------------------------------

async function refreshPrompts() {
  const { prompts } = await api('/api/prompts');
  const body = document.querySelector('#prompts-table tbody');
  body.replaceChildren(
    ...prompts.map((p) =>
      el('tr', { 'data-prompt': p.id }, el('td', {}, p.id), el('td', {}, p.task), el('td', {}, p.method), el('td', { class: 'num' }, p.promptLength), el('td', { class: 'num' }, pct(p.metrics.devAccuracy)), el('td', { class: 'num' }, pct(p.metrics.testAccuracy)), el('td', { class: 'num' }, p.steps ?? '–'), el('td', { class: 'num' }, p.trainableParams ?? '–'), el('td', {}, short(p.createdAt))),
    ),
  );
  document.getElementById('prompts-empty').hidden = prompts.length > 0;
  const select = document.getElementById('predict-prompt');
  const chosen = select.value;
  select.replaceChildren(...prompts.map((p) => el('option', { value: p.id }, `${p.task} · ${p.method} · ${p.id}`)));
  if (chosen) select.value = chosen;
}

async function predict(event) {
  event.preventDefault();
  const promptId = document.getElementById('predict-prompt').value;
  const texts = document.getElementById('predict-texts').value.split('\n').map((t) => t.trim()).filter(Boolean);
  if (!promptId || !texts.length) return;
  const table = document.getElementById('predict-table');
  try {
    const { predictions } = await api('/api/predict', { method: 'POST', json: { items: texts.map((text) => ({ promptId, text })) } });
    table.querySelector('tbody').replaceChildren(...predictions.map((p, i) => el('tr', {}, el('td', {}, texts[i]), el('td', {}, p.label), el('td', { class: 'num' }, pct(p.probabilities[p.labelIndex])))));
    table.hidden = false;
  } catch (err) {
    table.querySelector('tbody').replaceChildren(el('tr', {}, el('td', { colspan: '3' }, err.message)));
    table.hidden = false;
  }
}

// ---- bank and heatmap -------------------------------------------------------------------------

async function refreshBank() {
  const { entries } = await api('/api/bank');
  const metrics = (m) => (m ? Object.entries(m).map(([k, v]) => `${k} ${k.toLowerCase().includes('accuracy') ? pct(v) : Number.isInteger(v) ? v : v.toFixed(3)}`).join(', ') : '–');
  document.querySelector('#bank-table tbody').replaceChildren(
    ...entries.map((e) => el('tr', { 'data-entry': e.id }, el('td', {}, e.id), el('td', {}, e.task), el('td', {}, e.method), el('td', {}, e.model.split('@')[0]), el('td', {}, metrics(e.metrics)), el('td', {}, short(e.createdAt)))),
  );
  document.getElementById('bank-empty').hidden = entries.length > 0;
  drawHeatmap(await api('/api/bank/similarity'));
}

/** A sequential scale from the smallest similarity in the matrix (pale) to 1 (dark blue). */
function heatColor(v, lo) {
  const t = Math.max(0, Math.min(1, (v - lo) / Math.max(1e-9, 1 - lo)));
  const mix = (a, b) => Math.round(a + (b - a) * t);
  return `rgb(${mix(240, 23)},${mix(245, 74)},${mix(250, 160)})`;
}

function drawHeatmap(sim) {
  const box = document.getElementById('heatmap');
  if (!sim.tasks.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No task embeddings in the bank yet.'));
    return;
  }
  const n = sim.tasks.length;
  const lo = Math.min(...sim.matrix.flat());
  const cell = Math.max(22, Math.min(48, Math.floor(420 / n)));
  const left = 110;
  const top = 90;
  const chart = svg('svg', { width: left + n * cell + 10, height: top + n * cell + 10, role: 'img', 'aria-label': 'task similarity heatmap' });
  sim.tasks.forEach((task, i) => {
    const row = svg('text', { x: left - 6, y: top + i * cell + cell / 2 + 3, 'text-anchor': 'end' });
    row.textContent = task;
    chart.append(row);
    const col = svg('text', { x: left + i * cell + cell / 2, y: top - 6, transform: `rotate(-45 ${left + i * cell + cell / 2} ${top - 6})` });
    col.textContent = task;
    chart.append(col);
  });
  sim.matrix.forEach((values, i) =>
    values.forEach((v, j) => {
      const rect = svg('rect', { x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1, fill: heatColor(v, lo), 'data-cell': `${i},${j}` });
      const title = svg('title');
      title.textContent = `${sim.tasks[i]} × ${sim.tasks[j]}: ${v.toFixed(3)}`;
      rect.append(title);
      chart.append(rect);
      if (cell >= 28) {
        const dark = (v - lo) / Math.max(1e-9, 1 - lo) > 0.55;
        const t = svg('text', { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 3, 'text-anchor': 'middle', class: dark ? 'value light' : 'value' });
        t.textContent = v.toFixed(2);
        chart.append(t);
      }
    }),
  );
  box.replaceChildren(chart, el('p', { class: 'muted' }, `model ${sim.model}; pale ${lo.toFixed(2)} → dark 1.00`));
}

// ---- start ------------------------------------------------------------------------------------

async function refreshHealth() {
  const h = await api('/api/health');
  document.getElementById('health').textContent = `v${h.version} · backend ${h.backend ?? '?'} · jobs running ${h.jobs.running}/${h.jobs.maxJobs}, queued ${h.jobs.queued}`;
  document.getElementById('bank-section').hidden = !h.features.bank;
  return h;
}

async function loadTasks() {
  const { tasks } = await api('/api/tasks');
  state.tasks = tasks.filter((t) => t.trainable);
  document.getElementById('job-task').replaceChildren(...state.tasks.map((t) => el('option', { value: t.name }, `${t.name}${t.builtin ? '' : ' (data directory)'}`)));
}

async function startJob(event) {
  event.preventDefault();
  const msg = document.getElementById('job-message');
  const epochs = Number(document.getElementById('job-epochs').value);
  const maxTrain = Number(document.getElementById('job-max-train').value);
  try {
    const job = await api('/api/jobs', {
      method: 'POST',
      json: { task: document.getElementById('job-task').value, config: { method: document.getElementById('job-method').value, epochs, maxTrainExamples: maxTrain, maxEvalExamples: 100 }, maxTestExamples: 100 },
    });
    msg.textContent = `started ${job.id}`;
    showJob(job);
  } catch (err) {
    msg.textContent = err.message;
  }
}

async function refreshAll() {
  const h = await refreshHealth();
  await Promise.all([refreshJobs(), refreshPrompts(), h.features.bank ? refreshBank() : Promise.resolve()]);
}

document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = document.getElementById('token').value;
  sessionStorage.setItem('panda-token', state.token);
  document.getElementById('token-form').hidden = true;
  start();
});
document.getElementById('job-form').addEventListener('submit', startJob);
document.getElementById('predict-form').addEventListener('submit', predict);

async function start() {
  try {
    await loadTasks();
    await refreshAll();
    document.body.dataset.ready = 'true';
  } catch (err) {
    document.getElementById('health').textContent = err.message;
  }
}

start();
setInterval(() => refreshAll().catch(() => {}), 5000);
