import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';

/** The private test Redis started by test/global-setup.ts. */
export function testRedisUrl(): string {
  const url = inject('redisUrl') ?? process.env.DESCENT_TEST_REDIS_URL;
  if (!url) throw new Error('no test Redis: test/global-setup.ts did not run');
  return url;
}

/** A fresh key prefix, so suites and tests never see each other's keys. */
export function randomPrefix(label = 'test'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/** A plain connection to the test Redis (close it with `quit`, or use `connectTestRedis`'s cleanup). */
export function createTestRedis(): Redis {
  return new Redis({ ...redisOptionsFromUrl(testRedisUrl()), maxRetriesPerRequest: null });
}

/** Deletes every key under `prefix` (SCAN, so it never blocks the server). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A connection plus a random prefix; `cleanup()` deletes the prefix's keys and closes the connection. */
export function connectTestRedis(label?: string): { redis: Redis; prefix: string; cleanup(): Promise<void> } {
  const redis = createTestRedis();
  const prefix = randomPrefix(label);
  return {
    redis,
    prefix,
    async cleanup() {
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}

/**
 * MONITOR on a connection of its own to `url`; `onCommand` gets each command's arguments. ioredis
 * sets its monitoring state one microtask after MONITOR's OK, so a command line that arrives in
 * the same read as that OK is taken for a reply ("Command queue state error"): such a line is one
 * of other clients' commands from before the caller's next one, and is dropped. Close the
 * monitoring connection it returns with `disconnect`.
 */
export async function monitorCommands(url: string, onCommand: (args: string[]) => void): Promise<Redis> {
  // As Redis#monitor() makes it, but with the error listener attached before MONITOR goes out.
  const session = new Redis({ ...redisOptionsFromUrl(url), monitor: true, lazyConnect: true });
  session.on('error', (error: Error) => {
    if (!error.message.startsWith('Command queue state error')) throw error;
  });
  session.on('monitor', (_time: string, args: string[]) => onCommand(args));
  const monitoring = new Promise<void>((resolve) => session.once('monitoring', () => resolve()));
  await session.connect();
  await monitoring;
  return session;
}
