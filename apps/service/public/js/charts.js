// Training curves with uPlot (served by the service from node_modules): train loss and dev score
// over optimiser steps, with labelled axes and a legend; several runs overlaid for comparison.
import uPlot from '/vendor/uPlot.esm.js';

const COLORS = ['#2a6fdb', '#d9822b', '#2f9e44', '#c2255c', '#7048e8', '#0c8599', '#e8590c', '#5c940d'];
export const colorOf = (i) => COLORS[i % COLORS.length];

/** Dev points of a job's progress: [step, score] (the selection metric's score, accuracy when given). */
export function devPoints(progress) {
  return (progress.evals || []).filter((e) => Number.isFinite(e.devAccuracy)).map((e) => [e.step, e.devAccuracy]);
}

/** Aligns several [x, y] series on the union of their x values (null where a series has no point). */
function align(seriesList) {
  const xs = [...new Set(seriesList.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = seriesList.map((s) => {
    const out = new Array(xs.length).fill(null);
    for (const [x, y] of s) out[index.get(x)] = y;
    return out;
  });
  return [xs, ...ys];
}

/** Steps are whole numbers: tick at 1, 2, 5, 10, … apart, never at 1.5. */
const STEP_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
const stepAxis = () => axis('step', { incrs: STEP_INCRS, values: (u, vals) => vals.map((v) => String(v)) });
const axis = (label, extra = {}) => ({ label, stroke: '#4b5560', grid: { stroke: '#eef0f2' }, ticks: { stroke: '#dde2e6' }, labelSize: 18, size: 44, ...extra });

/** Draws (or redraws) a uPlot chart in `box`, keeping one instance per box. */
function render(box, opts, data) {
  const width = Math.max(320, box.clientWidth || 560);
  const key = JSON.stringify(opts.series.map((s) => s.label)) + width;
  if (box._chart && box._key === key) {
    box._chart.setData(data);
    return box._chart;
  }
  box._chart?.destroy();
  box.replaceChildren();
  // The legend names the series (values only while the pointer is over the plot).
  box._chart = new uPlot({ legend: { live: false }, ...opts, width, height: opts.height ?? 190 }, data, box);
  box._key = key;
  return box._chart;
}

/** One run: train loss (left axis) and dev score (right axis, 0–1) over steps. */
export function curveChart(box, progress, { title } = {}) {
  const losses = progress.losses || [];
  const dev = devPoints(progress);
  box.dataset.steps = String(losses.length);
  box.dataset.evals = String(dev.length);
  if (!losses.length && !dev.length) {
    box._chart?.destroy();
    box._chart = undefined;
    box.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'no training steps yet' }));
    return;
  }
  const data = align([losses, dev]);
  render(
    box,
    {
      title,
      scales: { x: { time: false }, loss: { auto: true }, score: { range: [0, 1] } },
      series: [
        { label: 'step' },
        { label: 'train loss', scale: 'loss', stroke: COLORS[0], width: 1.5, spanGaps: true, points: { show: false } },
        { label: 'dev score', scale: 'score', stroke: COLORS[1], width: 1.5, spanGaps: true, points: { show: true, size: 7, fill: COLORS[1] }, value: (u, v) => (v == null ? '–' : `${(v * 100).toFixed(1)} %`) },
      ],
      axes: [stepAxis(), axis('train loss', { scale: 'loss' }), axis('dev score', { scale: 'score', side: 1, grid: { show: false }, values: (u, vals) => vals.map((v) => `${Math.round(v * 100)}%`) })],
    },
    data,
  );
}

/**
 * Several runs overlaid: one chart of train loss, one of dev score, each run in its own colour,
 * named in the legend.
 */
export function overlayCharts(lossBox, devBox, runs) {
  const lossData = align(runs.map((r) => r.progress.losses || []));
  const devData = align(runs.map((r) => devPoints(r.progress)));
  const series = (width, points) => runs.map((r, i) => ({ label: r.label, stroke: colorOf(i), width, spanGaps: true, points }));
  lossBox.dataset.runs = devBox.dataset.runs = String(runs.length);
  render(lossBox, { title: 'train loss', scales: { x: { time: false } }, series: [{ label: 'step' }, ...series(1.5, { show: false })], axes: [stepAxis(), axis('train loss')] }, lossData);
  render(
    devBox,
    {
      title: 'dev score',
      scales: { x: { time: false }, y: { range: [0, 1] } },
      series: [{ label: 'step' }, ...series(2, { show: true, size: 7 }).map((s) => ({ ...s, value: (u, v) => (v == null ? '–' : `${(v * 100).toFixed(1)} %`) }))],
      axes: [stepAxis(), axis('dev score', { values: (u, vals) => vals.map((v) => `${Math.round(v * 100)}%`) })],
    },
    devData,
  );
}
