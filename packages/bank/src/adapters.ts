import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { PandaError } from '@panda/core';

/**
 * The bank's copies of adapter folders, under `<bank>/adapters/`. A copy is made in a temporary
 * folder (`.tmp-<name>`) and renamed into place, so a folder either is complete or has a `.tmp-`
 * name. Folder names are derived from the entry id by percent-encoding every character outside
 * [A-Za-z0-9_-] (so no id can produce '/', '.' or '..'), truncated, plus a hash of the id and a
 * random suffix (a replace writes a new folder before the old one goes).
 */

export const ADAPTERS_DIR = 'adapters';

/** A file-system-safe, unique folder name for `id`. */
export function adapterFolderName(id: string): string {
  const encoded = id.replace(/[^A-Za-z0-9_-]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''));
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${encoded.slice(0, 96)}-${hash}-${randomBytes(4).toString('hex')}`;
}

/** Copies the folder `src` into the bank; returns the bank-relative path ('adapters/<name>'). */
export function copyAdapter(bankDir: string, src: string, id: string): string {
  const from = resolve(src);
  let isDir = false;
  try {
    isDir = statSync(from).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new PandaError('CONFIG_INVALID', `adapterDir ${src} is not a folder`, { details: { adapterDir: src } });
  const bank = resolve(bankDir);
  if (bank === from || bank.startsWith(from + sep)) {
    throw new PandaError('CONFIG_INVALID', `adapterDir ${src} contains the bank itself`, { details: { adapterDir: src } });
  }
  const name = adapterFolderName(id);
  const root = join(bankDir, ADAPTERS_DIR);
  const tmp = join(root, `.tmp-${name}`);
  try {
    cpSync(from, tmp, { recursive: true, dereference: true, errorOnExist: true, force: false });
    renameSync(tmp, join(root, name));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new PandaError('CONFIG_INVALID', `could not copy adapterDir ${src} into the bank: ${(err as Error).message}`, { cause: err, details: { adapterDir: src } });
  }
  return `${ADAPTERS_DIR}/${name}`;
}

/** Deletes a bank-relative adapter folder (missing is fine). */
export function removeAdapter(bankDir: string, relPath: string | null): void {
  if (relPath === null) return;
  rmSync(join(bankDir, relPath), { recursive: true, force: true });
}

/** The parsed `<dir>/manifest.json`, or undefined when there is none. */
export function readManifest(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PandaError('CONFIG_INVALID', `${file} does not hold a JSON object`, { details: { file } });
  return value as Record<string, unknown>;
}

/**
 * Deletes entries of `dir` that `keep` does not name and whose mtime is older than `graceMs`
 * (leftovers of a crash: `.tmp-*` copies, folders/files whose SQLite row never committed). The
 * grace period protects another process's copy that is about to be committed. Returns the names
 * deleted.
 */
export function removeOrphans(dir: string, keep: (name: string) => boolean, graceMs: number, now = Date.now()): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (keep(name)) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs < graceMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another process removed it first.
    }
  }
  return removed;
}
