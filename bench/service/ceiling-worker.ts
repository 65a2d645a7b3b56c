import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../../src/redis/connection.ts';

/**
 * The ceiling bench's worker (bench/service/throughput.ts, figure (a′)): a BullMQ Worker with an empty
 * processor at the service's concurrency, in a process of its own. Every REPORT_EVERY completed
 * jobs it prints `completed <count> <wall-clock ms>` for the bench to end its window on.
 * Env: REDIS_URL, QUEUE, PREFIX, CONCURRENCY, REPORT_EVERY.
 */

const env = process.env as Record<string, string>;
const connection = new Redis({ ...redisOptionsFromUrl(env.REDIS_URL), maxRetriesPerRequest: null });
const every = Number(env.REPORT_EVERY);
let completed = 0;
const worker = new Worker(env.QUEUE, async () => undefined, {
  connection,
  prefix: env.PREFIX,
  concurrency: Number(env.CONCURRENCY),
});
worker.on('completed', () => {
  if (++completed % every === 0) {
    process.stdout.write(`completed ${completed} ${performance.timeOrigin + performance.now()}\n`);
  }
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
