import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { pingSocket, RedisServerMissingError, startEmbeddedRedis } from '../src/embedded-redis.ts';
import { redisOptionsFromUrl } from '../src/redis.ts';
import { useTempDirs } from './helpers/temp-dirs.ts';

const tempDir = useTempDirs('descent-embedded-');

describe('startEmbeddedRedis', () => {
  it('runs redis-server on a unix socket in the data dir with the AOF on (synced on every write) and noeviction, and keeps data across restarts', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const server = await startEmbeddedRedis({ dataDir });
    expect(server.url).toBe(`unix://${dataDir}/redis.sock`);
    const redis = new Redis(redisOptionsFromUrl(server.url));
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    await redis.set('kept', 'yes');
    await redis.quit();
    await server.stop();
    expect(await pingSocket(server.socketPath)).toBe(false);
    expect(existsSync(path.join(dataDir, 'appendonlydir'))).toBe(true);

    const again = await startEmbeddedRedis({ dataDir, appendfsync: 'everysec' });
    const reopened = new Redis(redisOptionsFromUrl(again.url));
    expect(await reopened.get('kept')).toBe('yes');
    expect(await reopened.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    await reopened.quit();
    await again.stop();
  });

  it('adopts a server still running on its socket instead of starting a second one', async () => {
    const dataDir = tempDir();
    const first = await startEmbeddedRedis({ dataDir });
    const adopted: string[] = [];
    const second = await startEmbeddedRedis({ dataDir, onAdopt: (socket) => adopted.push(socket) });
    expect(adopted).toEqual([first.socketPath]);
    expect(second.pid).toBeNull();
    await second.stop();
    expect(await pingSocket(first.socketPath)).toBe(false);
    await first.stop();
  });

  it('names the fix when redis-server is not installed', async () => {
    const promise = startEmbeddedRedis({ dataDir: tempDir(), command: 'redis-server-that-does-not-exist' });
    await expect(promise).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(promise).rejects.toThrow(/apt-get install redis-server.*REDIS_URL/s);
  });
});
