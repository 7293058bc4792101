import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ServiceError } from '../errors/httpStatus.js';
import type { ServiceDir } from '../storage/serviceDir.js';

/** A grid folder the page may show: `panda grid --out <folder>` wrote `<folder>/grid.sqlite`. */
export interface GridFolder {
  name: string;
  dir: string;
}

const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/**
 * The grids the service shows: the folders its operator named (the `grids` option) and every
 * `<data dir>/grids/<name>/` holding a `grid.sqlite`. Requests name a grid only by the name listed
 * here, never by a path, so no request reaches another folder.
 */
export class GridFolders {
  constructor(
    readonly dir: ServiceDir,
    readonly configured: readonly string[],
  ) {}

  list(): GridFolder[] {
    const out: GridFolder[] = [];
    const taken = new Set<string>();
    const add = (dir: string) => {
      if (!existsSync(join(dir, 'grid.sqlite'))) return;
      let name = basename(dir).replace(/[^\w.-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60) || 'grid';
      for (let i = 2; taken.has(name); i++) name = `${basename(dir).slice(0, 56)}-${i}`;
      taken.add(name);
      out.push({ name, dir });
    };
    for (const d of this.configured) add(resolve(d));
    const under = this.dir.inside('grids');
    if (existsSync(under)) {
      for (const n of readdirSync(under).sort()) {
        const sub = join(under, n);
        try {
          // Through inside(): a symbolic link that leaves the data directory is refused (and not listed).
          if (NAME.test(n) && statSync(this.dir.inside('grids', n)).isDirectory()) add(sub);
        } catch {
          // not shown
        }
      }
    }
    return out;
  }

  get(name: string): GridFolder {
    const found = this.list().find((g) => g.name === name);
    if (!found) throw new ServiceError(404, 'NOT_FOUND', `no grid '${name}' (GET /api/grids lists them)`);
    return found;
  }
}
