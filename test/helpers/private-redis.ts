import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServerHandle, spawnRedisServer } from '../../src/redis/embedded.ts';

/**
 * A redis-server of the suite's own (a unix socket in a fresh temp dir, no persistence), for tests
 * that would disturb the shared test Redis (SCRIPT FLUSH, MONITOR). Started before the suite's
 * tests and stopped after them; the returned function gives its handle.
 */
export function usePrivateRedisServer(label: string): () => RedisServerHandle {
  let server: RedisServerHandle | null = null;
  let dir: string | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `descent-${label}-`));
    server = await spawnRedisServer({
      socketPath: path.join(dir, 'redis.sock'),
      dir,
      args: ['--save', '', '--appendonly', 'no'],
    });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (server === null)
      throw new Error('the private redis-server is not started yet (use it inside a test or hook)');
    return server;
  };
}
