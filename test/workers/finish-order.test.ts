import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createJobQueue, enqueueJob, type JobQueue } from '../../src/queue/job-queue.ts';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobSubmissions } from '../../src/store/job-submissions.ts';
import { type RunningWorker, startWorker } from '../../workers/service.ts';
import { jobStores } from '../helpers/job-stores.ts';
import { usePrivateRedisServer } from '../helpers/private-redis.ts';
import { monitorCommands } from '../helpers/redis.ts';
import { makeSpec } from '../helpers/specs.ts';
import { waitFor } from './helpers.ts';

/**
 * The worker's fast path finishes a tiny job with one script and lets BullMQ complete the queue
 * entry without waiting for that script's reply (workers/job-life.ts, finishInline). That is safe
 * only if Redis runs the finishing script before BullMQ's completion: otherwise a worker that dies
 * in between leaves a record that is never finished and an entry that is gone. The hard case is a
 * script Redis has just lost (SCRIPT FLUSH on a live connection): an EVALSHA answered NOSCRIPT
 * would be resent after BullMQ's completion had gone out. A private redis-server (SCRIPT FLUSH
 * would disturb the other suites); MONITOR shows the order in which Redis ran the commands.
 */

const PREFIX = 'order';
const privateServer = usePrivateRedisServer('finish-order');
let redis: Redis;
let monitor: Redis;
let jobs: JobRecords;
let submissions: JobSubmissions;
let queue: JobQueue;
let worker: RunningWorker;
const log: string[][] = [];

beforeAll(async () => {
  const server = privateServer();
  redis = new Redis({ ...redisOptionsFromUrl(server.url), maxRetriesPerRequest: null });
  ({ jobs, submissions } = jobStores(redis, PREFIX));
  queue = createJobQueue(redis, PREFIX);
  worker = await startWorker(
    loadConfig({
      REDIS_URL: server.url,
      REDIS_PREFIX: PREFIX,
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '1',
      WORKER_DEVICES: 'cpu',
      JOB_TTL_SECONDS: '0',
    }),
  );
  monitor = await monitorCommands(server.url, (args) => log.push(args));
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  monitor?.disconnect();
  redis?.disconnect();
});

/** Submits a tiny job as the API does (its spec in the queue entry) and waits until it is completed. */
async function runTinyJob(): Promise<string> {
  const spec = makeSpec({ stop: { maxIterations: 3 } });
  const { job } = await submissions.create('default', spec);
  await enqueueJob(queue, job.id, spec);
  await waitFor(async () => (await jobs.get(job.id))?.status === 'completed', 20_000, 'the tiny job');
  return job.id;
}

/**
 * Completes one job of another queue by hand (a worker without a processor, no blocking fetch):
 * Redis knows BullMQ's completion script again. A running Worker's blocking BZPOPMIN, cut by its
 * close, could confuse ioredis's reply queue on this shared connection.
 */
async function reloadBullmqScripts(): Promise<void> {
  const other = new Queue('other', { connection: redis, prefix: PREFIX });
  const manual = new Worker('other', null, { connection: redis, prefix: PREFIX, autorun: false });
  await other.add('noop', {}, { removeOnComplete: true });
  const job = await manual.getNextJob('reload', { block: false });
  if (!job) throw new Error('the reload job was not fetched');
  await job.moveToCompleted(1, 'reload', false);
  await manual.close();
  await other.close();
}

describe('finish order: the finishing script before the queue entry is completed', () => {
  it('holds also when Redis has just lost the store scripts (SCRIPT FLUSH), over three rounds', async () => {
    // Warm: the worker's connection has sent the finishing script once (ioredis would now use EVALSHA).
    await runTinyJob();
    for (let round = 0; round < 3; round++) {
      await redis.script('FLUSH');
      // A deploy that changed only our scripts: Redis knows BullMQ's completion script, not ours.
      await reloadBullmqScripts();
      const id = await runTinyJob();
      const finished = await waitFor(
        async () => {
          const at = log.findIndex(
            (args) =>
              args[0].toLowerCase() === 'hset' &&
              args[1] === `${PREFIX}:job:${id}` &&
              args[3] === 'completed',
          );
          return at >= 0 ? { at } : null;
        },
        10_000,
        'the record write in MONITOR',
      );
      const completedEntry = await waitFor(
        async () => {
          const at = log.findIndex(
            (args) =>
              args[0].toLowerCase() === 'xadd' &&
              args[1] === `${PREFIX}:descent-jobs:events` &&
              args.includes('completed') &&
              args.includes(id),
          );
          return at >= 0 ? { at } : null;
        },
        10_000,
        "BullMQ's completion in MONITOR",
      );
      expect(finished.at, `round ${round}: record finished before the queue entry completed`).toBeLessThan(
        completedEntry.at,
      );
    }
  });
});
