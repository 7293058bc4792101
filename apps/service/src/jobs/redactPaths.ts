import { sep } from 'node:path';

/** Folders a job's messages may name, and how they are shown instead. */
export interface PathNames {
  /** The service data directory: files under it are shown relative to it (`uploads/ds-….csv`). */
  root: string;
  /** The benchmark data directory: shown as `$PANDA_DATA_DIR/…`. */
  dataDir?: string;
}

// An absolute path of at least two segments (optionally a file:// URL), not inside a word, URL or
// relative path, nor one of the service's own URLs (/api/…); the last segment is kept. Colons end a segment, so `file.csv:3` keeps its line.
const SEGMENT = String.raw`[^\s'"\x60:()<>\[\]{},;/\\]+`;
const POSIX = new RegExp(String.raw`(?<![\w.~$/:-])(?:file://)?/(?!api/)(?:${SEGMENT}/)+(${SEGMENT})`, 'g');
const WINDOWS = new RegExp(String.raw`(?<![\w])[A-Za-z]:\\(?:[^\s'"\x60:()<>\\]+\\)+([^\s'"\x60:()<>\\]+)`, 'g');

/**
 * A job's error or log message as a client may see it: files in the data directory relative to it,
 * benchmark files under `$PANDA_DATA_DIR`, and any other absolute server path cut to its file name
 * (`…/name`), so no message over HTTP tells where the service keeps its files.
 */
export function redactPaths(message: string, names: PathNames): string {
  const folders: Array<[string, string]> = [[names.root, '']];
  if (names.dataDir) folders.push([names.dataDir, '$PANDA_DATA_DIR/']);
  // Longer folders first, so a folder inside another one keeps its own name.
  folders.sort((a, b) => b[0].length - a[0].length);
  let out = message;
  for (const [folder, shown] of folders) {
    if (!folder) continue;
    for (const prefix of [`file://${folder}`, folder]) out = out.split(prefix + sep).join(shown);
    // The folder itself (not a longer name that starts with it).
    out = out.replace(new RegExp(`${escape(folder)}(?![^\\s'"\\x60:()<>,;])`, 'g'), shown ? shown.slice(0, -1) : '.');
  }
  return out.replace(POSIX, '…/$1').replace(WINDOWS, '…\\$1');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
