import { Redis } from 'ioredis';
import { z } from 'zod';
import { PandaError } from '@panda/core';

/** `redis://[:password@]host:port[/db]` or `rediss://…` (TLS). */
export const queueUrlSchema = z
  .string()
  .refine((s) => /^rediss?:\/\/[^\s]+$/.test(s), { message: 'expected a Redis URL: redis://host:port or rediss://host:port (TLS), with :password@ if the server has one' })
  .refine((s) => {
    try {
      return new URL(s).hostname !== '';
    } catch {
      return false;
    }
  }, { message: 'the Redis URL has no host' });

/** The URL as logs and errors may show it: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid URL>';
  }
}

/**
 * A connection to the queue's Redis, as BullMQ wants it: commands wait for a reconnect instead of
 * failing (`maxRetriesPerRequest: null`), so a Redis restart pauses work rather than losing it, and
 * reconnects retry every 0.2–2 s for as long as the process lives.
 */
export function connectQueue(url: string, name = 'panda'): Redis {
  const parsed = queueUrlSchema.safeParse(url);
  if (!parsed.success) throw new PandaError('CONFIG_INVALID', `--queue: ${parsed.error.issues[0]!.message} (got ${redactUrl(url)})`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: name,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
  });
  // Errors while reconnecting are expected (Redis restarting); the caller sees them as waits.
  redis.on('error', () => {});
  return redis;
}

/** Waits until the connection is ready, else throws QUEUE_UNAVAILABLE after `timeoutMs`. */
export async function waitForQueue(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new PandaError('QUEUE_UNAVAILABLE', `cannot reach the queue at ${redactUrl(url)} within ${timeoutMs / 1000} s (is redis-server running there, and the password right?)`, { details: { url: redactUrl(url) } }));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
