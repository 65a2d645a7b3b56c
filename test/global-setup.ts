import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { spawnRedisServer } from '../src/redis/embedded.ts';

/**
 * One private redis-server for the whole test run: a unix socket in a fresh temp dir, no
 * persistence. Never the system Redis. Tests read its URL with `inject('redisUrl')` (or
 * `testRedisUrl()` from test/helpers/redis.ts) and isolate themselves with a random key prefix.
 * Spawned processes get it as REDIS_URL; it is also exported as DESCENT_TEST_REDIS_URL.
 * A missing redis-server fails the run loudly: nothing is skipped.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'descent-test-'));
  const server = await spawnRedisServer({
    socketPath: path.join(dir, 'redis.sock'),
    dir,
    args: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
  });
  project.provide('redisUrl', server.url);
  process.env.DESCENT_TEST_REDIS_URL = server.url;
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
