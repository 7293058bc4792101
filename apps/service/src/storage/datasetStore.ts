import { existsSync } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { PandaError } from '@panda/core';
import { RowIssues, readDelimitedRows } from '@panda/datasets';
import { writeFileAtomic } from '@panda/runtime';
import { ServiceError } from '../errors/httpStatus.js';
import { ID_PATTERN, type ServiceDir } from './serviceDir.js';

export interface DatasetInfo {
  id: string;
  /** The name the uploader gave (display only; never used as a path). */
  name: string;
  format: 'csv' | 'tsv';
  bytes: number;
  /** Data rows (the header row not counted). */
  rows: number;
  /** Header names, in file order. */
  columns: string[];
  /** Rows the reader could not parse (bad encoding, broken quoting); a training job on it fails on them unless it skips bad rows. */
  badRows: number;
  createdAt: string;
}

/**
 * Uploaded datasets: `uploads/<id>.<csv|tsv>` plus `uploads/<id>.json` describing it. The id is
 * the service's own; the uploader's file name is only a label.
 */
export class DatasetStore {
  constructor(readonly dir: ServiceDir) {}

  async add(body: Uint8Array, meta: { name: string; format: 'csv' | 'tsv' }): Promise<DatasetInfo> {
    const id = `ds-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const file = this.dir.upload(id, meta.format);
    const text = decodeStrict(body);
    if (!text.trim()) throw new ServiceError(400, 'BAD_REQUEST', 'the uploaded file is empty');
    await writeFileAtomic(file, text);
    try {
      const issues = new RowIssues(`${meta.name}`, { skipBadRows: true });
      let columns: string[] | undefined;
      let rows = 0;
      for await (const { row } of readDelimitedRows(file, { delimiter: meta.format === 'tsv' ? '\t' : ',', header: true }, issues)) {
        if (!columns) columns = row.map((c) => c.trim());
        else rows++;
      }
      if (!columns || rows === 0) throw new ServiceError(400, 'BAD_REQUEST', 'the file needs a header row and at least one data row');
      const info: DatasetInfo = { id, name: meta.name, format: meta.format, bytes: body.byteLength, rows, columns, badRows: issues.skipped, createdAt: new Date().toISOString() };
      await writeFileAtomic(this.dir.inside('uploads', `${id}.json`), JSON.stringify(info, null, 2) + '\n');
      return info;
    } catch (err) {
      await unlink(file).catch(() => {});
      if (err instanceof ServiceError) throw err;
      throw new ServiceError(400, 'BAD_REQUEST', `the file could not be read as ${meta.format.toUpperCase()}: ${(err as Error).message.replaceAll(file, meta.name).slice(0, 300)}`);
    }
  }

  async get(id: string): Promise<DatasetInfo> {
    if (!ID_PATTERN.test(id)) throw new ServiceError(400, 'BAD_REQUEST', 'not a valid dataset id');
    const meta = this.dir.inside('uploads', `${id}.json`);
    if (!existsSync(meta)) throw new PandaError('ENTRY_UNKNOWN', `no uploaded dataset '${id}'`, { details: { unknown: [id] } });
    return JSON.parse(await readFile(meta, 'utf8')) as DatasetInfo;
  }

  /** The file behind an uploaded dataset (for a training job). */
  async file(id: string): Promise<string> {
    const info = await this.get(id);
    return this.dir.upload(info.id, info.format);
  }

  async list(): Promise<DatasetInfo[]> {
    const names = (await readdir(this.dir.inside('uploads'))).filter((n) => n.endsWith('.json'));
    const out: DatasetInfo[] = [];
    for (const n of names) out.push(JSON.parse(await readFile(this.dir.inside('uploads', n), 'utf8')) as DatasetInfo);
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}

function decodeStrict(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ServiceError(400, 'BAD_REQUEST', 'the uploaded file is not valid UTF-8');
  }
}
