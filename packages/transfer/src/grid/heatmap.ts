/**
 * A heatmap as a standalone SVG image: rows × columns of values, a diverging colour scale
 * (blue < centre < red) clipped to [min, max], each cell labelled with its value.
 */
export function heatmapSvg(options: { title: string; rows: string[]; cols: string[]; values: (number | null)[][]; min: number; max: number; center?: number; digits?: number }): string {
  const { title, rows, cols, values, min, max } = options;
  const center = options.center ?? (min + max) / 2;
  const digits = options.digits ?? 2;
  const cell = 46;
  const left = 90;
  const top = 90;
  const width = left + cols.length * cell + 20;
  const height = top + rows.length * cell + 20;
  const color = (v: number): string => {
    const t = v >= center ? Math.min(1, (v - center) / Math.max(1e-12, max - center)) : -Math.min(1, (center - v) / Math.max(1e-12, center - min));
    const mix = (a: number, b: number, f: number) => Math.round(a + (b - a) * f);
    return t >= 0 ? `rgb(${mix(247, 202, t)},${mix(247, 0, t)},${mix(247, 32, t)})` : `rgb(${mix(247, 5, -t)},${mix(247, 113, -t)},${mix(247, 176, -t)})`;
  };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  cols.forEach((c, j) => parts.push(`<text transform="translate(${left + j * cell + cell / 2},${top - 6}) rotate(-45)">${esc(c)}</text>`));
  rows.forEach((r, i) => {
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    cols.forEach((_, j) => {
      const v = values[i]?.[j];
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${v === null || v === undefined || Number.isNaN(v) ? '#ddd' : color(v)}" stroke="white"/>`);
      if (v !== null && v !== undefined && !Number.isNaN(v)) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle">${v.toFixed(digits)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
