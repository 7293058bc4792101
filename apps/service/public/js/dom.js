// Small DOM helpers. Text from the server is only ever set as text (textContent), never as HTML.

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** A score in [0, 1] as a percentage; other metrics (MCC, correlations) as a plain number. */
export const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');
export const num = (x, digits = 3) => (typeof x === 'number' && Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(digits)) : '–');
export const short = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) : '–');

/** Seconds as `42s`, `3m05s`, `1h02m`. */
export function duration(s) {
  if (typeof s !== 'number' || !Number.isFinite(s)) return '–';
  if (s < 1) return '<1s';
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A table from a header and rows of cells (strings, numbers or nodes); numeric columns right-aligned. */
export function table(head, rows, { numeric = [], attrs = {}, rowAttrs } = {}) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      attrs,
      el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { class: numeric.includes(i) ? 'num' : undefined }, h)))),
      el('tbody', {}, ...rows.map((r, j) => el('tr', rowAttrs ? rowAttrs(j) : {}, ...r.map((c, i) => el('td', { class: numeric.includes(i) ? 'num' : undefined }, c))))),
    ),
  );
}

/** The task name of a job request. */
export function taskName(job) {
  const t = job.request?.task;
  return typeof t === 'string' ? t : t?.name || 'custom';
}
