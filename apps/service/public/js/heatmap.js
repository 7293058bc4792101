// Heatmaps as SVG, with a colour bar whose ticks give the real scale of the values.
import { el, svg } from './dom.js';

let gradients = 0;

const mix = (a, b, t) => Math.round(a + (b - a) * t);
const rgb = (a, b, t) => `rgb(${mix(a[0], b[0], t)},${mix(a[1], b[1], t)},${mix(a[2], b[2], t)})`;
const PALE = [240, 245, 250];
const BLUE = [23, 74, 160];
const RED = [178, 34, 34];
const WHITE = [247, 247, 247];

/** Colour of `v` on [min, max]: pale → blue (sequential), or red → white → blue around `center` (diverging). */
export function colorScale(min, max, center) {
  const span = Math.max(1e-9, max - min);
  if (center === undefined) return (v) => rgb(PALE, BLUE, Math.max(0, Math.min(1, (v - min) / span)));
  return (v) => (v >= center ? rgb(WHITE, BLUE, Math.min(1, (v - center) / Math.max(1e-9, max - center))) : rgb(WHITE, RED, Math.min(1, (center - v) / Math.max(1e-9, center - min))));
}

/** Evenly spaced tick values from min to max (five, or fewer when they would repeat at `digits`). */
export function ticks(min, max, digits) {
  const out = [];
  for (let i = 0; i <= 4; i++) out.push(min + ((max - min) * i) / 4);
  return [...new Map(out.map((v) => [v.toFixed(digits), v])).values()];
}

/**
 * A rows × cols heatmap of `values` (null: no value) on [min, max]; the legend is a colour bar
 * with tick values along it and the name of what is shown.
 */
export function heatmap({ rows, cols, values, min, max, center, digits = 2, label, id }) {
  if (!(max > min)) {
    // All values equal (one task): a scale around them, so the legend still reads as a range.
    min = Math.min(min, max) - 0.5;
    max = min + 1;
  }
  const color = colorScale(min, max, center);
  const cell = Math.max(24, Math.min(48, Math.floor(440 / Math.max(rows.length, cols.length, 1))));
  const longest = Math.max(...rows.map((r) => r.length), 4);
  const left = Math.min(170, 12 + longest * 6.5);
  const top = Math.min(130, 20 + Math.max(...cols.map((c) => c.length), 4) * 4.6);
  const legendX = left + cols.length * cell + 24;
  const legendH = Math.max(120, rows.length * cell);
  const width = legendX + 90;
  const height = Math.max(top + rows.length * cell, top + legendH) + 16;
  const chart = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'heatmap' });
  rows.forEach((r, i) => chart.append(svg('text', { x: left - 6, y: top + i * cell + cell / 2 + 3, 'text-anchor': 'end' }, r)));
  cols.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    chart.append(svg('text', { x, y: top - 6, transform: `rotate(-45 ${x} ${top - 6})` }, c));
  });
  values.forEach((row, i) =>
    row.forEach((v, j) => {
      const x = left + j * cell;
      const y = top + i * cell;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        chart.append(svg('rect', { x, y, width: cell - 1, height: cell - 1, class: 'empty', 'data-cell': `${i},${j}` }, svg('title', {}, `${rows[i]} × ${cols[j]}: no value`)));
        return;
      }
      chart.append(svg('rect', { x, y, width: cell - 1, height: cell - 1, fill: color(v), 'data-cell': `${i},${j}` }, svg('title', {}, `${rows[i]} × ${cols[j]}: ${v.toFixed(digits + 1)}`)));
      if (cell >= 28) {
        const t = center === undefined ? (v - min) / (max - min) : Math.abs(v - center) / Math.max(max - center, center - min);
        chart.append(svg('text', { x: x + cell / 2, y: y + cell / 2 + 3, 'text-anchor': 'middle', class: t > 0.55 ? 'value light' : 'value' }, v.toFixed(digits)));
      }
    }),
  );
  // The colour bar: max at the top, min at the bottom, ticks with their values.
  const gid = `grad-${id ?? 'h'}-${++gradients}`;
  const stops = Array.from({ length: 11 }, (_, k) => svg('stop', { offset: `${k * 10}%`, 'stop-color': color(max - ((max - min) * k) / 10) }));
  chart.append(svg('defs', {}, svg('linearGradient', { id: gid, x1: 0, y1: 0, x2: 0, y2: 1 }, ...stops)));
  chart.append(svg('rect', { x: legendX, y: top, width: 14, height: legendH, fill: `url(#${gid})`, class: 'legend-bar' }));
  for (const v of ticks(min, max, digits)) {
    const y = top + ((max - v) / (max - min)) * legendH;
    chart.append(svg('line', { x1: legendX + 14, x2: legendX + 19, y1: y, y2: y, class: 'tick' }));
    chart.append(svg('text', { x: legendX + 22, y: y + 3, class: 'legend-tick' }, v.toFixed(digits)));
  }
  return el('figure', { class: 'heatmap-box', 'data-heatmap': id ?? '' }, chart, el('figcaption', { class: 'muted' }, label));
}
