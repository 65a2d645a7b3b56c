import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';
import { WORKER_CONCURRENCY, withTimeout } from './common.ts';

/**
 * The raw BullMQ reference of the throughput figures: a queue and a Worker with an empty
 * processor at the service's worker concurrency, in this process, on an ioredis connection that
 * BullMQ duplicates (like the service's worker, workers/service.ts). `submit(queue)` adds the
 * round's `jobs` however the figure does (add, addBulk, with priorities); the round lasts from
 * the start of `submit` to the `jobs`-th completion. The queue is obliterated afterwards.
 */
export async function rawBullmqRound(
  redisUrl: string,
  prefix: string,
  name: string,
  jobs: number,
  submit: (queue: Queue) => Promise<void>,
): Promise<{ jobsPerSecond: number; ms: number }> {
  const connection = new Redis({ ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix });
  let completed = 0;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });
  const worker = new Worker(name, async () => undefined, {
    connection,
    prefix,
    concurrency: WORKER_CONCURRENCY,
  });
  worker.on('completed', () => {
    if (++completed === jobs) done();
  });
  await worker.waitUntilReady();
  await queue.waitUntilReady();
  try {
    const start = performance.now();
    await submit(queue);
    await withTimeout(allDone, `raw BullMQ jobs (${name})`);
    const ms = performance.now() - start;
    return { jobsPerSecond: (jobs / ms) * 1000, ms };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}
