import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * The web page's files, URL path → file: the page's own (`public/*`, `public/js/*`) and the
 * charting library's ES module and stylesheet from node_modules (the browser may have no internet,
 * so nothing comes from a CDN). The list is made once from the folders, so a request only ever
 * names an entry of it, never a path.
 */
export function staticFiles(): Record<string, { file: string; type: string }> {
  const out: Record<string, { file: string; type: string }> = {};
  const addFolder = (folder: string, prefix: string) => {
    for (const name of readdirSync(join(PUBLIC_DIR, folder))) {
      const ext = /^[\w-]+\.(html|js|css)$/.exec(name)?.[1];
      if (ext) out[`${prefix}${name}`] = { file: join(PUBLIC_DIR, folder, name), type: TYPES[ext]! };
    }
  };
  addFolder('.', '/');
  addFolder('js', '/js/');
  out['/'] = out['/index.html']!;
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  out['/vendor/uPlot.esm.js'] = { file: join(uplot, 'uPlot.esm.js'), type: TYPES.js! };
  out['/vendor/uPlot.min.css'] = { file: join(uplot, 'uPlot.min.css'), type: TYPES.css! };
  return out;
}
