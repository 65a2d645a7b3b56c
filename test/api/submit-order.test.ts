import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createApiRedis, redisOptionsFromUrl, waitUntilReady } from '../../src/redis/connection.ts';
import { usePrivateRedisServer } from '../helpers/private-redis.ts';
import { monitorCommands } from '../helpers/redis.ts';

/**
 * POST /v1/jobs stores the job record before the BullMQ entry, in every case: a worker must never
 * fetch a job whose record is not there yet (it would skip it, and the record would stay queued
 * forever). The hard case is a script the server does not know when the submit goes out (a
 * SCRIPT FLUSH, or the first submit after a deploy that changed a script): the client's retry of
 * the create must still run before the add. A private redis-server, since SCRIPT FLUSH would
 * disturb the other suites; MONITOR shows the order in which Redis ran the commands.
 */

const privateServer = usePrivateRedisServer('submit-order');

/** The index in `log` of the first command that touches a key containing `fragment`. */
function firstTouch(log: string[][], fragment: string): number {
  return log.findIndex((args) => args.slice(1).some((arg) => arg.includes(fragment)));
}

describe('submit order: record before queue entry', () => {
  it('runs the record script before the BullMQ add, also when Redis has just lost its scripts', async () => {
    const config = loadConfig({ REDIS_URL: privateServer().url, REDIS_PREFIX: 'order', LOG_LEVEL: 'silent' });
    const apiRedis = createApiRedis(config);
    await waitUntilReady(apiRedis);
    const app = await buildApp({ config, redis: apiRedis, logger: false });
    const admin = new Redis(redisOptionsFromUrl(privateServer().url));
    const log: string[][] = [];
    const monitor = await monitorCommands(privateServer().url, (args) => log.push(args));
    try {
      const body = {
        objective: { type: 'builtin', name: 'sphere' },
        optimizer: { name: 'sgd' },
        stop: { maxIterations: 5 },
      };
      // Warm: the scripts are known on this connection (ioredis now sends EVALSHA).
      expect((await app.inject({ method: 'POST', url: '/v1/jobs', payload: body })).statusCode).toBe(202);
      for (let round = 0; round < 3; round++) {
        // A deploy that changed our script: Redis knows BullMQ's add script (reloaded by an add
        // on the API's queue) but not the store's create script.
        await admin.script('FLUSH');
        await app.jobQueue.enqueue(`warm-${round}`);
        const response = await app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
        expect(response.statusCode).toBe(202);
        const id = (response.json() as { id: string }).id;
        await expect.poll(() => firstTouch(log, `order:descent-jobs:${id}`)).toBeGreaterThanOrEqual(0);
        const record = log.findIndex(
          (args) => args[0].toLowerCase() === 'hset' && args[1] === `order:job:${id}`,
        );
        const queueEntry = firstTouch(log, `order:descent-jobs:${id}`);
        expect(record, 'the record was written').toBeGreaterThanOrEqual(0);
        expect(record, 'record before queue entry').toBeLessThan(queueEntry);
        expect(await admin.hget(`order:job:${id}`, 'status')).toBe('queued');
      }
    } finally {
      monitor.disconnect();
      admin.disconnect();
      await app.close();
      apiRedis.disconnect();
    }
  });
});
