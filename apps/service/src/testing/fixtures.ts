// Helpers for the service's tests: small real datasets, a service on an ephemeral port, typed
// requests, and a server-sent-events reader.
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningService } from '../service.js';
import type { ServiceOptionsInput } from '../config.js';

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny', 'a warm and charming delight', 'brilliant from start to finish'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script', 'a tedious waste of time', 'clumsy and lifeless'];

/** A sentiment CSV (text,label) with `n` rows alternating pos/neg, starting at `offset`. */
export function sentimentCsv(n: number, offset = 0): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return k % 2 ? `"${BAD[k % BAD.length]}",neg` : `"${GOOD[k % GOOD.length]}",pos`;
  });
  return `text,label\n${rows.join('\n')}\n`;
}

const TOPICS: Record<string, string[]> = {
  sport: ['the striker scored twice in the final', 'the team won the league title', 'a record time in the marathon', 'the coach praised the defence'],
  food: ['a rich tomato soup with fresh basil', 'bake the bread for forty minutes', 'the chef seasoned the grilled fish', 'a sweet pie with apples and cinnamon'],
  tech: ['the new phone has a faster chip', 'update the software to fix the bug', 'the laptop battery lasts ten hours', 'a cloud server crashed overnight'],
};

/** A three-class topic TSV (text<TAB>label). */
export function topicTsv(n: number, offset = 0): string {
  const labels = Object.keys(TOPICS);
  const rows = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const label = labels[k % 3]!;
    const texts = TOPICS[label]!;
    return `${texts[Math.floor(k / 3) % texts.length]}\t${label}`;
  });
  return `text\tlabel\n${rows.join('\n')}\n`;
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** JSON requests against a running service, with an optional token. */
export function client(url: string, token?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  const reply = async (res: Response): Promise<Reply> => {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    get: async (path: string) => reply(await fetch(url + path, { headers: headers() })),
    post: async (path: string, json?: unknown) => reply(await fetch(url + path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), ...(json !== undefined ? { body: JSON.stringify(json) } : {}) })),
    del: async (path: string) => reply(await fetch(url + path, { method: 'DELETE', headers: headers() })),
    raw: async (path: string, init: RequestInit) => reply(await fetch(url + path, { ...init, headers: { ...headers(), ...(init.headers as Record<string, string>) } })),
    upload: async (name: string, content: string, type = 'text/csv') =>
      reply(await fetch(`${url}/api/datasets?name=${encodeURIComponent(name)}`, { method: 'POST', headers: headers({ 'content-type': type }), body: content })),
  };
}

export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Reads a job's event stream until `end` (or until `stop` returns true), calling `onEvent` for
 * each event; returns all events.
 */
export async function readEvents(url: string, jobId: string, options: { token?: string; stop?: (e: SseEvent) => boolean; onEvent?: (e: SseEvent) => void } = {}): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/jobs/${jobId}/events`, { headers: options.token ? { authorization: `Bearer ${options.token}` } : {}, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const events: SseEvent[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!event) continue;
        const e = { event, data: data ? JSON.parse(data) : null };
        events.push(e);
        options.onEvent?.(e);
        if (event === 'end' || options.stop?.(e)) return events;
      }
    }
  } finally {
    controller.abort();
  }
}

/** A service on an ephemeral port over a fresh temporary data directory. */
export async function testService(options: ServiceOptionsInput = {}): Promise<RunningService & { logs: string[] }> {
  const logs: string[] = [];
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'panda-service-'));
  const service = await startService({ port: 0, backend: 'wasm', ...options, dir }, (l) => logs.push(l));
  return Object.assign(service, { logs });
}

/** A small prompt-tuning request over two uploaded files. */
export function tinyJob(train: string, dev: string, config: Record<string, unknown> = {}, labels = ['neg', 'pos']) {
  return { task: { name: 'toy-sentiment', train, dev, labels }, config: { epochs: 1, batchSize: 4, promptLength: 4, ...config } };
}

/**
 * One request through node:http, which (unlike fetch) sends any Host and Origin header as given:
 * what a DNS-rebinding page or a cross-site form would send.
 */
export function rawRequest(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path, method: init.method ?? 'GET', headers: { connection: 'close', ...(init.headers ?? {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, body, headers });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
