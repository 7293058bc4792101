import { mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServiceError } from '../errors/httpStatus.js';

/** Ids the service hands out and accepts (jobs, runs, datasets): no dots, no slashes. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The service's data directory. Every file the service reads or writes for a request is resolved
 * here: ids are checked against {@link ID_PATTERN}, the joined path must stay under the root, and
 * the real path (symbolic links followed) must too.
 *
 * Layout: `jobs.sqlite` (jobs), `runs/<id>/` (trained prompts: adapter.safetensors,
 * panda_adapter.json, manifest.json, checkpoint/), `uploads/<id>.<csv|tsv>` (datasets),
 * `bank/` (the prompt bank).
 */
export class ServiceDir {
  readonly root: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.root = realpathSync(resolve(dir));
    for (const sub of ['runs', 'uploads', 'bank']) mkdirSync(join(this.root, sub), { recursive: true });
  }

  get database(): string {
    return join(this.root, 'jobs.sqlite');
  }

  get bankDir(): string {
    return join(this.root, 'bank');
  }

  runDir(id: string): string {
    return this.inside('runs', checkId(id));
  }

  upload(id: string, ext: 'csv' | 'tsv'): string {
    return this.inside('uploads', `${checkId(id)}.${ext}`);
  }

  /** Joins `parts` under the root; refuses any result outside it (403). */
  inside(...parts: string[]): string {
    const path = resolve(this.root, ...parts);
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
      throw new ServiceError(403, 'PATH_FORBIDDEN', 'the path leaves the service data directory');
    }
    // A symbolic link inside the root may still point out of it.
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return path; // does not exist yet: nothing to follow
    }
    const realRel = relative(this.root, real);
    if (realRel.startsWith('..') || isAbsolute(realRel)) throw new ServiceError(403, 'PATH_FORBIDDEN', 'the path leaves the service data directory');
    return path;
  }
}

/** Checks an id from a request (400 for anything that is not a plain id). */
export function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new ServiceError(400, 'BAD_REQUEST', `not a valid id: ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}
