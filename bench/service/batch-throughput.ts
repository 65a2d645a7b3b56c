import type { Redis } from 'ioredis';
import { QUEUE_JOB_OPTIONS } from '../../src/queue/job-queue.ts';
import { StoreKeys } from '../../src/store/keys.ts';
import { type BenchRow, median } from '../stats.ts';
import { now, pool, TINY_SPEC, untilTenantIdle, withTimeout } from './common.ts';
import type { HttpClient } from './http-client.ts';
import { CpuTally } from './processes.ts';
import { rawBullmqRound } from './raw-bullmq.ts';

/**
 * (e) batch throughput. The service: BATCH_JOBS tiny jobs (TINY_SPEC) POSTed to /v1/jobs/batch in
 * batches of BATCH_SIZE (BATCHES_IN_FLIGHT requests in flight), from the first POST until every
 * job has finished: the tenant's active-job count (kept by the store's scripts) is polled every
 * 20 ms until it reads 0, and the window ends at the latest `finishedAt` of the round's jobs,
 * read from their records afterwards. The reference: raw BullMQ on the same Redis, `addBulk` of
 * BATCH_SIZE no-op jobs (same in flight, the service's job options) and a Worker with an empty
 * processor at the service's worker concurrency, in this process, from the first addBulk to the
 * last `completed`. Both first run BATCH_WARMUP_JOBS. ratio = service jobs/s ÷ raw jobs/s
 * (medians of BATCH_ROUNDS alternating rounds). Goal >= 0.5.
 */

const BATCH_JOBS = 10_000;
const BATCH_SIZE = 100;
const BATCHES_IN_FLIGHT = 4;
const BATCH_WARMUP_JOBS = 2000;
const BATCH_ROUNDS = 3;

async function serviceRound(
  http: HttpClient,
  redis: Redis,
  keys: StoreKeys,
  round: number,
  jobs: number,
): Promise<{ jobsPerSecond: number; submitJobsPerSecond: number }> {
  const batches = jobs / BATCH_SIZE;
  const ids: string[][] = new Array(batches);
  const body = {
    jobs: Array.from({ length: BATCH_SIZE }, () => ({ ...TINY_SPEC, label: `bench-batch-${round}` })),
  };
  const start = now();
  await pool(batches, BATCHES_IN_FLIGHT, async (k) => {
    const answer = await http.postJson<{ items: { id: string }[] }>('/v1/jobs/batch', body);
    ids[k] = answer.items.map((item) => item.id);
  });
  const submitMs = now() - start;
  await untilTenantIdle(redis, keys);
  const pipeline = redis.pipeline();
  for (const id of ids.flat()) pipeline.hmget(keys.job(id), 'status', 'finishedAt');
  let end = start;
  for (const [error, fields] of (await pipeline.exec()) ?? []) {
    const [status, finishedAt] = fields as [string | null, string | null];
    if (error || status !== 'completed' || finishedAt === null) {
      throw new Error(`bench/service: a batch job ended ${status ?? 'missing'}`);
    }
    end = Math.max(end, Date.parse(finishedAt));
  }
  return {
    jobsPerSecond: (jobs / (end - start)) * 1000,
    submitJobsPerSecond: (jobs / submitMs) * 1000,
  };
}

async function rawRound(redisUrl: string, prefix: string, round: number, jobs: number): Promise<number> {
  const measured = await rawBullmqRound(redisUrl, prefix, `raw-bulk-${round}`, jobs, (queue) =>
    pool(jobs / BATCH_SIZE, BATCHES_IN_FLIGHT, async (k) => {
      await queue.addBulk(
        Array.from({ length: BATCH_SIZE }, (_, j) => {
          const jobId = `raw-bulk-${round}-${k * BATCH_SIZE + j}`;
          return { name: 'run', data: { jobId }, opts: { ...QUEUE_JOB_OPTIONS, jobId } };
        }),
      );
    }),
  );
  return measured.jobsPerSecond;
}

export interface BatchThroughputSetup {
  redisUrl: string;
  prefix: string;
  http: HttpClient;
  /** The bench's own connection to the service's Redis (end-of-round checks). */
  redis: Redis;
  pids: { api?: number; worker?: number; redis?: number };
}

/** Figure (e): warm both up, then alternate rounds. */
export async function batchThroughputRow(setup: BatchThroughputSetup): Promise<BenchRow> {
  const { redisUrl, prefix, http, redis, pids } = setup;
  const keys = new StoreKeys(prefix);
  await withTimeout(serviceRound(http, redis, keys, 0, BATCH_WARMUP_JOBS), 'batch warm-up');
  await withTimeout(rawRound(redisUrl, `${prefix}-rawbulk`, 0, BATCH_WARMUP_JOBS), 'raw bulk warm-up');
  const rates = { service: [] as number[], submit: [] as number[], raw: [] as number[] };
  const cpu = { service: new CpuTally(pids), raw: new CpuTally({ redis: pids.redis }) };
  for (let round = 1; round <= BATCH_ROUNDS; round++) {
    const measured = await cpu.service.during(() =>
      withTimeout(serviceRound(http, redis, keys, round, BATCH_JOBS), 'batch round'),
    );
    rates.service.push(measured.jobsPerSecond);
    rates.submit.push(measured.submitJobsPerSecond);
    rates.raw.push(
      await cpu.raw.during(() =>
        withTimeout(rawRound(redisUrl, `${prefix}-rawbulk`, round, BATCH_JOBS), 'raw bulk round'),
      ),
    );
  }
  const serviceRate = median(rates.service);
  const rawRate = median(rates.raw);
  const roundRatios = rates.service.map((rate, k) => rate / rates.raw[k]);
  const jobsMeasured = BATCH_ROUNDS * BATCH_JOBS;
  return {
    name: 'service: batch throughput (/v1/jobs/batch of 100)',
    ratio: serviceRate / rawRate,
    goal: '>= 0.5',
    pass: serviceRate / rawRate >= 0.5,
    details: {
      serviceJobsPerSecond: serviceRate,
      serviceSubmitJobsPerSecond: median(rates.submit),
      rawBulkJobsPerSecond: rawRate,
      roundRatioMin: Math.min(...roundRatios),
      roundRatioMax: Math.max(...roundRatios),
      jobsPerRound: BATCH_JOBS,
      batchSize: BATCH_SIZE,
      rounds: BATCH_ROUNDS,
      ...cpu.service.perJob('', jobsMeasured),
      ...cpu.raw.perJob('raw', jobsMeasured),
    },
  };
}
