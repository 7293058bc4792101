import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { create } from 'tar';

export interface RunFile {
  /** Path inside the run folder, with forward slashes. */
  path: string;
  bytes: number;
}

/**
 * The regular files under a run folder, sorted. Symbolic links (and anything else that is not a
 * plain file or folder) are left out, so neither the listing nor the archive ever reaches outside
 * the folder.
 */
export async function listRunFiles(dir: string): Promise<RunFile[]> {
  const out: RunFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const name of (await readdir(folder)).sort()) {
      const path = join(folder, name);
      const st = await lstat(path);
      if (st.isDirectory()) await walk(path);
      else if (st.isFile()) out.push({ path: relative(dir, path).split(sep).join('/'), bytes: st.size });
    }
  };
  if (existsSync(dir)) await walk(dir);
  return out;
}

/**
 * A tar archive (POSIX ustar, portable: no owner names or modes from this machine) of the given
 * files of a run folder, each under `<prefix>/`, as a web stream for the response body.
 */
export function runArchive(dir: string, files: readonly RunFile[], prefix: string): ReadableStream<Uint8Array> {
  const pack = create({ cwd: dir, portable: true, prefix, noDirRecurse: true }, files.map((f) => f.path));
  return Readable.toWeb(Readable.from(pack as AsyncIterable<Buffer>)) as ReadableStream<Uint8Array>;
}

/** A JSON file of a run folder, or undefined when it is missing or not JSON. */
export async function readRunJson(dir: string, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
