import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  createApiRedis,
  createWorkerRedis,
  redisOptionsFromUrl,
  waitUntilReady,
  warnIfEvicting,
} from '../../src/redis/connection.ts';
import { spawnRedisServer } from '../../src/redis/embedded.ts';
import { testRedisUrl } from '../helpers/redis.ts';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, db and credentials of redis:// URLs', () => {
    expect(redisOptionsFromUrl('redis://user:p%40ss@cache.internal:6380/3')).toEqual({
      host: 'cache.internal',
      port: 6380,
      db: 3,
      username: 'user',
      password: 'p@ss',
    });
    expect(redisOptionsFromUrl('redis://localhost')).toEqual({ host: 'localhost', port: 6379 });
    expect(redisOptionsFromUrl('rediss://h:1')).toEqual({ host: 'h', port: 1, tls: {} });
  });

  it('reads unix sockets in both spellings', () => {
    expect(redisOptionsFromUrl('unix:///var/run/redis.sock')).toEqual({ path: '/var/run/redis.sock' });
    expect(redisOptionsFromUrl('redis+unix:///tmp/r.sock?db=2&password=pw')).toEqual({
      path: '/tmp/r.sock',
      db: 2,
      password: 'pw',
    });
  });

  it('rejects other schemes', () => {
    expect(() => redisOptionsFromUrl('http://localhost')).toThrow(/unsupported scheme/);
  });
});

describe('connections', () => {
  it('connects to the test Redis over its unix socket', async () => {
    const redis = createWorkerRedis({ redisUrl: testRedisUrl() });
    await waitUntilReady(redis);
    expect(await redis.ping()).toBe('PONG');
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    await redis.quit();
  });

  it('fails fast in the API while Redis is unreachable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'descent-nowhere-'));
    const redis = createApiRedis({ redisUrl: `unix://${dir}/missing.sock` });
    redis.on('error', () => undefined);
    // No offline queue: the command is refused at once (this error), not held for a reconnect.
    await expect(redis.get('x')).rejects.toThrow(/enableOfflineQueue options is false/);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('warnIfEvicting', () => {
  function collectingLogger() {
    const warnings: { object: object; message: string }[] = [];
    return {
      warnings,
      logger: { warn: (object: object, message: string) => warnings.push({ object, message }) },
    };
  }

  it('stays quiet with noeviction', async () => {
    const redis = new Redis(redisOptionsFromUrl(testRedisUrl()));
    const { warnings, logger } = collectingLogger();
    expect(await warnIfEvicting(redis, logger)).toBe('noeviction');
    expect(warnings).toEqual([]);
    await redis.quit();
  });

  it('warns when Redis may evict keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'descent-lru-'));
    const server = await spawnRedisServer({
      socketPath: path.join(dir, 'redis.sock'),
      dir,
      args: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'],
    });
    const redis = new Redis(redisOptionsFromUrl(server.url));
    const { warnings, logger } = collectingLogger();
    expect(await warnIfEvicting(redis, logger)).toBe('allkeys-lru');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain("set 'maxmemory-policy noeviction'");
    await redis.quit();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
