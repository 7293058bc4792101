import { PandaError } from '@panda/core';
import type { ReadOptions } from '../types.js';

/** Policy for malformed rows while reading one file. */
export interface RowIssueOptions extends Pick<ReadOptions, 'skipBadRows' | 'onSkip'> {
  /**
   * How many bad rows the task documents as known defects of the release (QQP's one malformed
   * row): these are skipped and counted even without `skipBadRows`; one more fails as usual.
   */
  knownBadRows?: number;
}

/** One skipped row. */
export interface SkippedRow {
  file: string;
  line: number;
  reason: string;
}

/**
 * Collects malformed rows of one file: `bad()` throws `DATA_ROW_INVALID` with the message
 * `<file>:<line>: <reason>`, or, when skipping is allowed, counts the row, reports it to `onSkip`
 * and returns. Nothing is dropped without being counted.
 */
export class RowIssues {
  readonly skippedRows: SkippedRow[] = [];
  readonly #file: string;
  readonly #options: RowIssueOptions;

  constructor(file: string, options: RowIssueOptions = {}) {
    this.#file = file;
    this.#options = options;
  }

  get skipped(): number {
    return this.skippedRows.length;
  }

  /** Reports a bad row: throws unless skipping is allowed for it. */
  bad(line: number, reason: string): void {
    const allowed = this.#options.skipBadRows || this.skippedRows.length < (this.#options.knownBadRows ?? 0);
    if (!allowed) throw rowError(this.#file, line, reason);
    const info = { file: this.#file, line, reason };
    this.skippedRows.push(info);
    this.#options.onSkip?.(info);
  }
}

/** The `DATA_ROW_INVALID` error for a row: message `<file>:<line>: <reason>`. */
export function rowError(file: string, line: number, reason: string): PandaError {
  return new PandaError('DATA_ROW_INVALID', `${file}:${line}: ${reason}`, { details: { file, line, reason } });
}
