import { PandaError } from '@panda/core';

/** Where in a template source an error is: 0-based UTF-16 offset, 1-based line and column. */
export interface SourcePosition {
  position: number;
  line: number;
  column: number;
}

/** Line and column (both 1-based) of a UTF-16 offset in `source`. */
export function locate(source: string, position: number): SourcePosition {
  const clamped = Math.max(0, Math.min(position, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { position: clamped, line, column: clamped - lineStart + 1 };
}

/** The source line holding `position`, with a caret under it (tabs kept so the caret lines up). */
function snippet(source: string, where: SourcePosition): string {
  const start = where.position - (where.column - 1);
  let end = source.indexOf('\n', start);
  if (end < 0) end = source.length;
  const line = source.slice(start, end);
  const pad = line.slice(0, where.column - 1).replace(/[^\t]/g, ' ');
  return `  ${line}\n  ${pad}^`;
}

/**
 * A template syntax error: code `TEMPLATE_INVALID`, a message that says what is wrong, where, and
 * how to fix it, and `details` `{ position, line, column }`.
 */
export function templateSyntaxError(source: string, position: number, message: string): PandaError {
  const where = locate(source, position);
  return new PandaError('TEMPLATE_INVALID', `template ${where.line}:${where.column}: ${message}\n${snippet(source, where)}`, {
    details: { ...where, reason: message },
  });
}
