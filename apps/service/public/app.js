// The panda web page: plain ES modules, no build step. Views (jobs, data, bank, grids, a run) are
// chosen by the URL's hash; everything comes from the service's JSON API and server-sent events.
import { api, session } from './js/api.js';
import { bankSearch, refreshBank } from './js/bank.js';
import { initDatasets, refreshDatasets, whenUploadChosen } from './js/datasets.js';
import { initGrids, refreshGrids } from './js/grid.js';
import { jobForm } from './js/jobForm.js';
import { refreshJobs, whenJobEnds } from './js/jobs.js';
import { initPredict, refreshPrompts } from './js/predict.js';
import { showRun } from './js/runPage.js';
import { loadTaskLists } from './js/taskPicker.js';

const VIEWS = ['jobs', 'data', 'bank', 'grids', 'run'];

function route() {
  const [view, arg] = (location.hash.slice(1) || 'jobs').split('/');
  const name = VIEWS.includes(view) ? view : 'jobs';
  for (const v of VIEWS) document.getElementById(`view-${v}`).hidden = v !== name;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.getAttribute('href') === `#${name}`);
  document.body.dataset.view = name;
  if (name === 'run' && arg) void showRun(decodeURIComponent(arg));
  if (name === 'grids') void refreshGrids().catch(showError);
  if (name === 'data') void refreshDatasets();
}

function showError(err) {
  document.getElementById('health').textContent = err.message;
}

async function refreshHealth() {
  const h = await api('/api/health');
  document.getElementById('health').textContent = `v${h.version} · ${h.model} · backend ${h.backend ?? '?'} · jobs running ${h.jobs.running}/${h.jobs.maxJobs}, queued ${h.jobs.queued}`;
  return h;
}

async function refreshAll() {
  await refreshHealth();
  await Promise.all([refreshJobs(), refreshPrompts(), refreshBank()]);
}

let started = false;
async function start() {
  try {
    if (!started) {
      const form = jobForm();
      document.getElementById('job-form-box').replaceChildren(form.node);
      document.getElementById('search-box').replaceChildren(bankSearch());
      whenUploadChosen((upload) => {
        form.picker.useUpload({ trainId: upload.trainId, labels: upload.labels, name: upload.name });
        location.hash = '#jobs';
      });
      whenJobEnds(() => void Promise.all([refreshPrompts(), refreshBank()]).catch(() => {}));
      initDatasets();
      initPredict();
      initGrids();
      started = true;
    }
    await loadTaskLists();
    await refreshAll();
    route();
    document.body.dataset.ready = 'true';
  } catch (err) {
    showError(err);
  }
}

document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  session.token = document.getElementById('token').value;
  sessionStorage.setItem('panda-token', session.token);
  document.getElementById('token-form').hidden = true;
  start();
});
window.addEventListener('hashchange', route);

start();
setInterval(() => refreshAll().catch(() => {}), 5000);
