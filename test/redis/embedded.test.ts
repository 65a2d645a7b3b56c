import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';
import {
  pingSocket,
  RedisServerMissingError,
  spawnRedisServer,
  startEmbeddedRedis,
} from '../../src/redis/embedded.ts';
import { EmbeddedRedisInUseError, isOwned } from '../../src/redis/owner.ts';
import { useTempDirs } from '../helpers/temp-dirs.ts';

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

  it('adopts a server that no live process owns (left by a crash) instead of starting a second one', async () => {
    const dataDir = tempDir();
    // As a SIGKILLed `npm start` leaves it: a server on DATA_DIR's socket whose owner is gone.
    const orphan = await spawnRedisServer({ socketPath: path.join(dataDir, 'redis.sock'), dir: dataDir });
    expect(await isOwned(orphan.socketPath)).toBe(false);
    const adopted: string[] = [];
    const second = await startEmbeddedRedis({ dataDir, onAdopt: (socket) => adopted.push(socket) });
    expect(adopted).toEqual([orphan.socketPath]);
    expect(second.pid).toBeNull();
    expect(await isOwned(second.socketPath)).toBe(true);
    await second.stop();
    expect(await pingSocket(orphan.socketPath)).toBe(false);
    await orphan.stop();
  });

  it('refuses a DATA_DIR whose server a live process owns, and leaves that server running', async () => {
    const dataDir = tempDir();
    const first = await startEmbeddedRedis({ dataDir });
    const adopted: string[] = [];
    const second = startEmbeddedRedis({ dataDir, onAdopt: (socket) => adopted.push(socket) });
    await expect(second).rejects.toBeInstanceOf(EmbeddedRedisInUseError);
    await expect(second).rejects.toThrow(`REDIS_URL=unix://${first.socketPath} npm run worker`);
    expect(adopted).toEqual([]);
    expect(await pingSocket(first.socketPath)).toBe(true);
    await first.stop();
    // The owner gone with its server, the DATA_DIR is free again (and keeps its data).
    const third = await startEmbeddedRedis({ dataDir });
    expect(third.pid).toEqual(expect.any(Number));
    await third.stop();
  });

  it('gives a DATA_DIR too long for a socket path the same short socket every time', async () => {
    const dataDir = path.join(tempDir(), 'd'.repeat(120));
    const first = await startEmbeddedRedis({ dataDir });
    expect(Buffer.byteLength(first.socketPath)).toBeLessThanOrEqual(100);
    expect(existsSync(path.join(dataDir, 'appendonlydir'))).toBe(true);
    // A second start finds the first one's server there, instead of a second server on the same files.
    await expect(startEmbeddedRedis({ dataDir })).rejects.toBeInstanceOf(EmbeddedRedisInUseError);
    await first.stop();
    const again = await startEmbeddedRedis({ dataDir });
    expect(again.socketPath).toBe(first.socketPath);
    await again.stop();
  });

  it('names the fix when redis-server is not installed', async () => {
    const promise = startEmbeddedRedis({ dataDir: tempDir(), command: 'redis-server-that-does-not-exist' });
    await expect(promise).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(promise).rejects.toThrow(/apt-get install redis-server.*REDIS_URL/s);
  });
});
