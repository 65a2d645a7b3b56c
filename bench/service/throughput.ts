import type { Redis } from 'ioredis';
import { QUEUE_JOB_OPTIONS } from '../../src/queue/job-queue.ts';
import { StoreKeys } from '../../src/store/keys.ts';
import { type BenchRow, median } from '../stats.ts';
import {
  IN_FLIGHT,
  now,
  pool,
  TINY_SPEC,
  untilTenantIdle,
  WORKER_CONCURRENCY,
  withTimeout,
} from './common.ts';
import { freePort, HttpClient } from './http-client.ts';
import { type Child, CpuTally, spawnTs, stopChild, waitForChild } from './processes.ts';
import { rawBullmqRound } from './raw-bullmq.ts';

/**
 * (a) tiny-job throughput. The service: N jobs `sphere dim 2, sgd, maxIterations 1` POSTed to
 *     /v1/jobs (IN_FLIGHT requests in flight, each on its own keep-alive connection), from the
 *     first POST until every job is completed: the tenant's active-job count is polled on the
 *     bench's Redis connection until it reads 0 (jobs need not finish in submission order), then
 *     every job is confirmed completed over HTTP (list pages), the window ending at the latest
 *     `finishedAt`. The reference: raw BullMQ on the same Redis, `queue.add` of N no-op
 *     jobs (IN_FLIGHT in flight, the service's job options) and a Worker with an empty processor
 *     at the same concurrency as the service's worker, in this process, from the first add to the
 *     Nth `completed`. Both sides first run THROUGHPUT_WARMUP_JOBS jobs: V8 needs a few thousand
 *     jobs before the API and the worker reach their steady speed (measured: the CPU each spends
 *     per tiny job falls three- to fourfold over their first 3,000; raw BullMQ's too). ratio =
 *     service jobs/s ÷ raw jobs/s (medians of THROUGHPUT_ROUNDS alternating rounds). Goal >= 0.5.
 *
 * (a′) the ceiling of (a), an informational row: the least an HTTP front to BullMQ can be, in the
 *     service's process layout — a bare Fastify POST that only adds `{ jobId }` (ceiling-api.ts)
 *     and a no-op BullMQ Worker in a process of its own (ceiling-worker.ts) — driven by the same
 *     client, in rounds alternating with (a)'s. ratio = its jobs/s ÷ raw jobs/s. With the CPU
 *     each process spends per job (details of both rows, and of raw BullMQ), it shows what the
 *     HTTP hop and the process split cost before the service does any work of its own: on a
 *     two-core machine every process shares the same two CPUs, so the ratio is close to raw's
 *     CPU per job ÷ the service's.
 */

const THROUGHPUT_JOBS = 1000;
const THROUGHPUT_WARMUP_JOBS = 2000;
const THROUGHPUT_ROUNDS = 5;

async function serviceRound(
  http: HttpClient,
  redis: Redis,
  keys: StoreKeys,
  round: number,
  jobs: number,
): Promise<{ jobsPerSecond: number; submitJobsPerSecond: number; ms: number }> {
  const ids: string[] = new Array(jobs);
  const label = `bench-tiny-${round}`;
  const body = { ...TINY_SPEC, label };
  const start = now();
  await pool(jobs, IN_FLIGHT, async (k) => {
    ids[k] = (await http.postJson<{ id: string }>('/v1/jobs', body)).id;
  });
  const submitMs = now() - start;
  // Every job has finished once the tenant's active count is 0 (no HTTP request meanwhile). Then
  // every job is confirmed completed over HTTP, through the list endpoint (this round's label,
  // status completed, 100 a page), and the window ends at the latest finishedAt, stamped by the
  // worker on this machine's clock, so the poll interval does not lengthen it.
  await untilTenantIdle(redis, keys);
  let end = start;
  const pending = new Set(ids);
  let cursor: string | null = null;
  do {
    const query = `status=completed&label=${label}&limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await http.request('GET', `/v1/jobs?${query}`);
    if (response.status !== 200) throw new Error(`bench/service: GET /v1/jobs → ${response.status}`);
    const page = JSON.parse(response.body) as {
      items: { id: string; finishedAt: string }[];
      nextCursor: string | null;
    };
    for (const item of page.items) {
      if (pending.delete(item.id)) end = Math.max(end, Date.parse(item.finishedAt));
    }
    cursor = page.nextCursor;
  } while (cursor !== null && pending.size > 0);
  if (pending.size > 0) throw new Error(`bench/service: ${pending.size} tiny jobs did not complete`);
  const ms = end - start;
  return { jobsPerSecond: (jobs / ms) * 1000, submitJobsPerSecond: (jobs / submitMs) * 1000, ms };
}

/**
 * The ceiling service of figure (a′): its API and worker as child processes on the bench's
 * Redis, and IN_FLIGHT keep-alive connections to its API. `round(jobs)` submits through them and
 * ends when the worker reports the round's last completion.
 */
class CeilingService {
  private readonly http: HttpClient;
  private waiters: { count: number; resolve: (at: number) => void }[] = [];
  private submitted = 0;

  private constructor(
    readonly api: Child,
    readonly worker: Child,
    port: number,
  ) {
    this.http = new HttpClient(`http://127.0.0.1:${port}`, IN_FLIGHT);
    let pending = '';
    worker.process.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^completed (\d+) ([\d.]+)$/.exec(line);
        if (match === null) continue;
        const completed = Number(match[1]);
        const at = Number(match[2]);
        this.waiters = this.waiters.filter((waiter) => {
          if (waiter.count > completed) return true;
          waiter.resolve(at);
          return false;
        });
      }
    });
  }

  static async start(redisUrl: string, prefix: string, reportEvery: number): Promise<CeilingService> {
    const port = await freePort();
    const env = { REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: 'ceiling', PORT: String(port) };
    const api = spawnTs('bench/service/ceiling-api.ts', env);
    const worker = spawnTs('bench/service/ceiling-worker.ts', {
      ...env,
      CONCURRENCY: String(WORKER_CONCURRENCY),
      REPORT_EVERY: String(reportEvery),
    });
    const probe = new HttpClient(`http://127.0.0.1:${port}`);
    try {
      await waitForChild('the ceiling API', api, () => probe.ok('/healthz'));
    } finally {
      await probe.close();
    }
    await waitForChild('the ceiling worker', worker, async () => worker.output().includes('ready'));
    return new CeilingService(api, worker, port);
  }

  /** Jobs/s from the first POST to the worker's report of the round's last completion. */
  async round(jobs: number): Promise<{ jobsPerSecond: number }> {
    this.submitted += jobs;
    const target = this.submitted;
    const finished = new Promise<number>((resolve) => this.waiters.push({ count: target, resolve }));
    // The service's request body (parsed as JSON, not looked at), so both carry the same bytes.
    const body = { ...TINY_SPEC, label: 'bench-ceiling' };
    const start = now();
    await pool(jobs, IN_FLIGHT, async () => {
      await this.http.postJson('/jobs', body);
    });
    const end = await withTimeout(finished, 'ceiling jobs');
    return { jobsPerSecond: (jobs / (end - start)) * 1000 };
  }

  /** Closes its connections and stops both processes (again: a no-op). */
  async stop(): Promise<void> {
    await this.http.close();
    await Promise.all([stopChild(this.api), stopChild(this.worker)]);
  }
}

function rawRound(
  redisUrl: string,
  prefix: string,
  round: number,
  jobs: number,
): Promise<{ jobsPerSecond: number; ms: number }> {
  return rawBullmqRound(redisUrl, prefix, `raw-noop-${round}`, jobs, (queue) =>
    pool(jobs, IN_FLIGHT, async (k) => {
      // The service's job options (src/queue/job-queue.ts): own id, 2 attempts, removed on completion.
      const jobId = `raw-${round}-${k}`;
      await queue.add('run', { jobId }, { ...QUEUE_JOB_OPTIONS, jobId });
    }),
  );
}

export interface ThroughputSetup {
  redisUrl: string;
  prefix: string;
  /** The service's API (IN_FLIGHT connections). */
  http: HttpClient;
  /** The bench's own connection to the service's Redis (end-of-round checks). */
  redis: Redis;
  pids: { api?: number; worker?: number; redis?: number };
}

/** Figures (a) and (a′): warm every path up, then alternate rounds. */
export async function throughputRows(setup: ThroughputSetup): Promise<BenchRow[]> {
  const { redisUrl, prefix, http, redis, pids } = setup;
  const keys = new StoreKeys(prefix);
  const ceiling = await CeilingService.start(redisUrl, `${prefix}-ceiling`, THROUGHPUT_JOBS);
  try {
    await withTimeout(serviceRound(http, redis, keys, 0, THROUGHPUT_WARMUP_JOBS), 'service warm-up');
    await withTimeout(rawRound(redisUrl, `${prefix}-raw`, 0, THROUGHPUT_WARMUP_JOBS), 'raw warm-up');
    await ceiling.round(THROUGHPUT_WARMUP_JOBS);
    const rates = {
      service: [] as number[],
      submit: [] as number[],
      raw: [] as number[],
      ceiling: [] as number[],
    };
    const cpu = {
      service: new CpuTally(pids),
      raw: new CpuTally({ redis: pids.redis }),
      ceiling: new CpuTally({
        api: ceiling.api.process.pid,
        worker: ceiling.worker.process.pid,
        redis: pids.redis,
      }),
    };
    for (let round = 1; round <= THROUGHPUT_ROUNDS; round++) {
      const measured = await cpu.service.during(() =>
        withTimeout(serviceRound(http, redis, keys, round, THROUGHPUT_JOBS), 'service round'),
      );
      rates.service.push(measured.jobsPerSecond);
      rates.submit.push(measured.submitJobsPerSecond);
      const raw = await cpu.raw.during(() =>
        withTimeout(rawRound(redisUrl, `${prefix}-raw`, round, THROUGHPUT_JOBS), 'raw round'),
      );
      rates.raw.push(raw.jobsPerSecond);
      const bare = await cpu.ceiling.during(() => ceiling.round(THROUGHPUT_JOBS));
      rates.ceiling.push(bare.jobsPerSecond);
    }
    const jobsMeasured = THROUGHPUT_ROUNDS * THROUGHPUT_JOBS;
    const serviceRate = median(rates.service);
    const rawRate = median(rates.raw);
    const ceilingRate = median(rates.ceiling);
    const roundRatios = rates.service.map((rate, k) => rate / rates.raw[k]);
    return [
      {
        name: 'service: tiny-job throughput',
        ratio: serviceRate / rawRate,
        goal: '>= 0.5',
        pass: serviceRate / rawRate >= 0.5,
        details: {
          serviceJobsPerSecond: serviceRate,
          // POST /v1/jobs alone (while the worker already runs the first jobs): where the time goes.
          serviceSubmitJobsPerSecond: median(rates.submit),
          rawBullmqJobsPerSecond: rawRate,
          // Each service round ÷ the raw round right after it: the spread within this one run.
          roundRatioMin: Math.min(...roundRatios),
          roundRatioMax: Math.max(...roundRatios),
          jobsPerRound: THROUGHPUT_JOBS,
          rounds: THROUGHPUT_ROUNDS,
          // CPU per job in each process over the measured rounds (Linux /proc; 10 ms ticks);
          // raw BullMQ's client is this process, which adds and works its jobs.
          ...cpu.service.perJob('', jobsMeasured),
          ...cpu.raw.perJob('raw', jobsMeasured),
          concurrency: WORKER_CONCURRENCY,
        },
      },
      {
        name: 'service: ceiling, bare HTTP + BullMQ (info)',
        ratio: ceilingRate / rawRate,
        goal: 'none',
        pass: null,
        details: { ceilingJobsPerSecond: ceilingRate, ...cpu.ceiling.perJob('ceiling', jobsMeasured) },
      },
    ];
  } finally {
    await ceiling.stop();
  }
}
