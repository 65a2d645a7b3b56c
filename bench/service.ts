import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Result, TrajectoryPoint } from '../src/core/types.ts';
import { spawnRedisServer } from '../src/embedded-redis.ts';
import { redisOptionsFromUrl } from '../src/redis.ts';
import { JobStore } from '../src/store/jobs.ts';
import { TrajectoryStore } from '../src/store/trajectory.ts';

/**
 * The service bench: the real API (`src/server.ts`) and a real worker (`workers/worker.ts`) as
 * child processes on a private redis-server (unix socket in a temp dir, no persistence), driven
 * over loopback HTTP from this process. Two figures, each against a reference measured in the
 * same run:
 *
 * (a) tiny-job throughput. The service: N jobs `sphere dim 2, sgd, maxIterations 1` POSTed to
 *     /v1/jobs (16 requests in flight), from the first POST until every job reads `completed`
 *     over HTTP (the last-submitted job is polled every 10 ms, then each job is checked once).
 *     The reference: raw BullMQ on the same Redis, `queue.add` of N no-op jobs (16 in flight) and
 *     a Worker with an empty processor at the same concurrency as the service's worker, from the
 *     first add to the Nth `completed`. ratio = service jobs/s ÷ raw jobs/s (median of 3 rounds,
 *     alternating). Goal >= 0.5.
 *
 * (b) SSE fan-out. One running job, watched by 1 and then by 1,000 concurrent event-stream
 *     clients. Its points are produced here, through the workers' own store (JobStore.markRunning,
 *     TrajectoryStore.append, JobStore.finish) at the workers' flush cadence: a batch of 20 points
 *     every 50 ms on average (jittered uniformly in 20-80 ms so batches do not phase-lock with the
 *     API's 50 ms stream poll). Driving the writes from here keeps a CPU-bound optimizer thread
 *     off this two-core machine's CPUs, so the figure is the fan-out's, and it gives each batch an
 *     exact write time. Delivery lag of a batch to a client = the time its `points` event was
 *     complete on the client's socket (the `data` callback that brought its end) − the time the
 *     batch's XADD was sent; both on this process's clock. The clients are lean raw-socket readers
 *     (see EventClient) so that the 1,000 of them in one process measure the server, not
 *     themselves; each checks that it gets every point once, in order. Every (client, batch) pair
 *     is one sample. ratio = p99 lag with 1,000 clients ÷ p99 lag with 1. Goal <= 2. The
 *     single-client p99 is mostly the API's stream poll interval (50 ms): that is the service's
 *     real delivery lag, which the fan-out must not multiply.
 */

export interface ServiceBenchRow {
  name: string;
  ratio: number;
  goal: string;
  pass: boolean;
  details: Record<string, number>;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const WORKER_CONCURRENCY = 2;
const IN_FLIGHT = 16;
const THROUGHPUT_JOBS = 300;
const THROUGHPUT_WARMUP_JOBS = 40;
const THROUGHPUT_ROUNDS = 3;
const FANOUT_CLIENTS = 1000;
const FANOUT_BATCHES = 200;
const FANOUT_POINTS_PER_BATCH = 20;
/** Upper bound on any single wait, so the bench always ends. */
const STEP_TIMEOUT_MS = 120_000;

const TINY_SPEC = {
  objective: { type: 'builtin', name: 'sphere', dim: 2 },
  optimizer: { name: 'sgd', lr: 0.1 },
  stop: { maxIterations: 1 },
  seed: 1,
  label: 'bench-tiny',
};

/** Wall-clock ms with sub-ms resolution (one clock for writes and receipts in this process). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function withTimeout<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench/service: ${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `task(k)` for k < count with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(lanes);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Child {
  process: ChildProcess;
  output(): string;
}

function spawnTs(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { process: child, output: () => output };
}

async function stopChild(child: Child | undefined): Promise<void> {
  if (!child) return;
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(
  what: string,
  child: Child,
  check: () => Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(
        `bench/service: ${what}: the process exited (${child.process.exitCode}):\n${child.output()}`,
      );
    }
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`bench/service: ${what} not ready after ${ms} ms:\n${child.output()}`);
}

// ---------------------------------------------------------------------------------------------
// (a) throughput

async function serviceThroughput(
  baseUrl: string,
  jobs: number,
): Promise<{ jobsPerSecond: number; submitJobsPerSecond: number; ms: number }> {
  const ids: string[] = new Array(jobs);
  const body = JSON.stringify(TINY_SPEC);
  const start = performance.now();
  await pool(jobs, IN_FLIGHT, async (k) => {
    const response = await fetch(`${baseUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    if (response.status !== 202)
      throw new Error(`bench/service: POST /v1/jobs → ${response.status}: ${text}`);
    ids[k] = (JSON.parse(text) as { id: string }).id;
  });
  const submitMs = performance.now() - start;
  const status = async (id: string): Promise<string> => {
    const response = await fetch(`${baseUrl}/v1/jobs/${id}`);
    const job = (await response.json()) as { status: string };
    if (job.status === 'failed' || job.status === 'cancelled') {
      throw new Error(`bench/service: tiny job ${id} ended ${job.status}`);
    }
    return job.status;
  };
  // Jobs run in submission order: wait for the last one, then confirm every other.
  while ((await status(ids[jobs - 1])) !== 'completed') await sleep(10);
  let pending = ids.slice(0, -1);
  while (pending.length > 0) {
    const still: string[] = [];
    await pool(pending.length, IN_FLIGHT, async (k) => {
      if ((await status(pending[k])) !== 'completed') still.push(pending[k]);
    });
    pending = still;
    if (pending.length > 0) await sleep(10);
  }
  const ms = performance.now() - start;
  return { jobsPerSecond: (jobs / ms) * 1000, submitJobsPerSecond: (jobs / submitMs) * 1000, ms };
}

async function rawThroughput(
  redisUrl: string,
  prefix: string,
  round: number,
  jobs: number,
): Promise<{ jobsPerSecond: number; ms: number }> {
  // Like the service's worker (workers/service.ts): an ioredis connection that BullMQ duplicates.
  const connection = new Redis({ ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: null });
  const name = `raw-noop-${round}`;
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
    await pool(jobs, IN_FLIGHT, async (k) => {
      // The service's job options (workers/queue.ts): own id, 2 attempts, removed on completion.
      await queue.add(
        'run',
        { jobId: `raw-${round}-${k}` },
        {
          jobId: `raw-${round}-${k}`,
          attempts: 2,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
        },
      );
    });
    await withTimeout(allDone, 'raw BullMQ jobs');
    const ms = performance.now() - start;
    return { jobsPerSecond: (jobs / ms) * 1000, ms };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

// ---------------------------------------------------------------------------------------------
// (b) SSE fan-out

interface FanoutResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  clients: number;
  connectMs: number;
}

/**
 * A lean event-stream client for the fan-out figure: a raw loopback socket, the response scanned
 * as latin1 text for event boundaries, no JSON parsing. With 1,000 clients in this one process a
 * full HTTP client and JSON parse per event would cost more CPU than the server's fan-out itself
 * and make the apparatus, not the service, the bottleneck. It still checks every `points` event:
 * its first `i` must follow the previous event's last `i` (its SSE id), so a lost or repeated
 * point fails the bench.
 */
class EventClient {
  /** Receive time of each batch (NaN until received). */
  readonly received: Float64Array;
  private text = '';
  private headerDone = false;
  private lastI = -1;
  private statusEvents = 0;
  ended = false;
  error: string | null = null;
  socket: Socket | null = null;

  constructor(
    batches: number,
    private readonly onFirstStatus: () => void,
    private readonly onEnd: () => void,
  ) {
    this.received = new Float64Array(batches).fill(Number.NaN);
  }

  open(port: number, path: string): void {
    const socket = connect({ host: '127.0.0.1', port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => this.data(chunk.toString('latin1'), now()));
    socket.on('error', (error) => this.fail(error.message));
    socket.on('close', () => {
      if (!this.ended) this.fail('connection closed before `end`');
    });
  }

  private data(chunk: string, at: number): void {
    this.text += chunk;
    if (!this.headerDone) {
      const headerEnd = this.text.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      if (!this.text.startsWith('HTTP/1.1 200')) {
        this.fail(this.text.slice(0, this.text.indexOf('\r\n')));
        return;
      }
      this.headerDone = true;
      this.text = this.text.slice(headerEnd + 4);
    }
    // Events end with a blank line; chunked-encoding size lines sit between events, not inside.
    let start = 0;
    for (;;) {
      const end = this.text.indexOf('\n\n', start);
      if (end === -1) break;
      this.event(this.text.slice(start, end), at);
      start = end + 2;
    }
    this.text = start === 0 ? this.text : this.text.slice(start);
  }

  private event(block: string, at: number): void {
    const nameAt = block.indexOf('event: ');
    if (nameAt === -1) return; // a comment (`: ping`) or the `retry:` field
    if (block.startsWith('points', nameAt + 7)) {
      const idAt = block.indexOf('\nid: ', nameAt);
      const last = Number.parseInt(block.slice(idAt + 5, block.indexOf('\n', idAt + 5)), 10);
      const firstAt = block.indexOf('{"points":[{"i":');
      const first = Number.parseInt(block.slice(firstAt + 16, firstAt + 32), 10);
      if (idAt === -1 || firstAt === -1 || first !== this.lastI + 1 || last < first) {
        this.fail(`points ${first}..${last} after ${this.lastI}: a point lost or repeated`);
        return;
      }
      this.lastI = last;
      for (
        let b = Math.floor(first / FANOUT_POINTS_PER_BATCH);
        b <= Math.floor(last / FANOUT_POINTS_PER_BATCH);
        b++
      ) {
        if (Number.isNaN(this.received[b])) this.received[b] = at;
      }
    } else if (block.startsWith('status', nameAt + 7)) {
      if (++this.statusEvents === 1) this.onFirstStatus();
    } else if (block.startsWith('end', nameAt + 7)) {
      this.ended = true;
      this.onEnd();
    }
  }

  private fail(message: string): void {
    if (this.error === null) this.error = message;
    if (!this.ended) {
      this.ended = true;
      this.onEnd();
    }
  }

  get lastPoint(): number {
    return this.lastI;
  }
}

function fakePoint(i: number, t: number): TrajectoryPoint {
  const x = [Math.cos(i / 100), Math.sin(i / 100)];
  return { i, f: 1 / (1 + i), gradNorm: 2 / (1 + i), lr: 0.001, x, t };
}

async function fanout(
  baseUrl: string,
  jobs: JobStore,
  trajectories: TrajectoryStore,
  clients: number,
  seed: number,
): Promise<FanoutResult> {
  const response = await fetch(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...TINY_SPEC, label: 'bench-fanout', stop: { maxIterations: 100_000 } }),
  });
  if (response.status !== 202) throw new Error(`bench/service: POST /v1/jobs → ${response.status}`);
  const { id } = (await response.json()) as { id: string };
  const port = Number(new URL(baseUrl).port);

  let subscribed = 0;
  let ended = 0;
  let allSubscribed: () => void = () => undefined;
  let allEnded: () => void = () => undefined;
  const subscribedPromise = new Promise<void>((resolve) => {
    allSubscribed = resolve;
  });
  const endedPromise = new Promise<void>((resolve) => {
    allEnded = resolve;
  });
  const subscribers = Array.from(
    { length: clients },
    () =>
      new EventClient(
        FANOUT_BATCHES,
        () => {
          if (++subscribed === clients) allSubscribed();
        },
        () => {
          if (++ended === clients) allEnded();
        },
      ),
  );
  const connectStart = performance.now();
  try {
    // Connect in waves of 100 so the listen backlog never overflows.
    for (let k = 0; k < clients; k += 100) {
      for (const client of subscribers.slice(k, k + 100)) client.open(port, `/v1/jobs/${id}/events`);
      await sleep(20);
    }
    await withTimeout(subscribedPromise, `${clients} event streams to open`);
    const connectMs = performance.now() - connectStart;

    if ((await jobs.markRunning(id)) === null) throw new Error('bench/service: markRunning failed');
    await sleep(300);

    const writtenAt = new Float64Array(FANOUT_BATCHES);
    let random = seed;
    const runStart = now();
    for (let b = 0; b < FANOUT_BATCHES; b++) {
      random = (random * 1_103_515_245 + 12_345) % 2_147_483_648;
      await sleep(20 + (random / 2_147_483_648) * 60);
      const points: TrajectoryPoint[] = [];
      for (let k = 0; k < FANOUT_POINTS_PER_BATCH; k++) {
        const i = b * FANOUT_POINTS_PER_BATCH + k;
        points.push(fakePoint(i, now() - runStart));
      }
      writtenAt[b] = now();
      await trajectories.append(id, points);
    }
    const lastI = FANOUT_BATCHES * FANOUT_POINTS_PER_BATCH - 1;
    const last = fakePoint(lastI, now() - runStart);
    const result: Result = {
      stopReason: 'max_iterations',
      converged: false,
      x: last.x ?? [],
      f: last.f,
      gradNorm: last.gradNorm,
      iterations: lastI,
      evaluations: { f: lastI + 1, gradient: lastI + 1, hessian: 0 },
      best: { iteration: lastI, f: last.f, x: last.x ?? [] },
      diagnostics: { stationaryPoint: null, conditionNumber: null },
      wallMs: now() - runStart,
    };
    const params = new Float64Array(last.x ?? []);
    await jobs.finish(id, 'completed', result, { final: params, best: params });
    await withTimeout(endedPromise, `${clients} event streams to end`);

    const lags = new Float64Array(clients * FANOUT_BATCHES);
    let n = 0;
    for (const client of subscribers) {
      if (client.error !== null)
        throw new Error(`bench/service: an event-stream client failed: ${client.error}`);
      if (client.lastPoint !== lastI) {
        throw new Error(`bench/service: a client stopped at point ${client.lastPoint} of ${lastI}`);
      }
      for (let b = 0; b < FANOUT_BATCHES; b++) lags[n++] = client.received[b] - writtenAt[b];
    }
    lags.sort();
    return {
      p50: quantile(lags, 0.5),
      p99: quantile(lags, 0.99),
      max: lags[lags.length - 1],
      samples: lags.length,
      clients,
      connectMs,
    };
  } finally {
    for (const client of subscribers) client.socket?.destroy();
    await jobs.remove(id).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

function printRow(row: ServiceBenchRow): void {
  const details = Object.entries(row.details)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toPrecision(4)}`)
    .join(' ');
  process.stdout.write(
    `  ${row.name.padEnd(34)} ratio ${row.ratio.toFixed(3).padStart(7)}  goal ${row.goal.padEnd(6)} ${row.pass ? 'pass' : 'FAIL'}  ${details}\n`,
  );
}

export async function benchService(): Promise<ServiceBenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'descent-bench-'));
  const redisServer = await spawnRedisServer({
    socketPath: path.join(dir, 'redis.sock'),
    dir,
    args: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
  });
  const prefix = `bench-${process.pid}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    API_KEYS: '',
    RATE_LIMIT_MAX: '0',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  };
  let api: Child | undefined;
  let worker: Child | undefined;
  const redis = new Redis({ ...redisOptionsFromUrl(redisServer.url), maxRetriesPerRequest: null });
  const rows: ServiceBenchRow[] = [];
  const stopAll = () => {
    api?.process.kill('SIGKILL');
    worker?.process.kill('SIGKILL');
  };
  process.once('exit', stopAll);
  try {
    api = spawnTs('src/server.ts', env);
    worker = spawnTs('workers/worker.ts', env);
    await waitFor('the API', api, async () => (await fetch(`${baseUrl}/healthz`)).ok);
    const apiChild = api;
    await waitFor('a worker', worker, async () => {
      const response = await fetch(`${baseUrl}/readyz`);
      return response.ok || apiChild.process.exitCode !== null;
    });

    // (a) throughput: warm both paths up, then alternate rounds.
    await withTimeout(serviceThroughput(baseUrl, THROUGHPUT_WARMUP_JOBS), 'service warm-up');
    await withTimeout(
      rawThroughput(redisServer.url, `${prefix}-raw`, 0, THROUGHPUT_WARMUP_JOBS),
      'raw warm-up',
    );
    const service: number[] = [];
    const submit: number[] = [];
    const raw: number[] = [];
    for (let round = 1; round <= THROUGHPUT_ROUNDS; round++) {
      const measured = await withTimeout(serviceThroughput(baseUrl, THROUGHPUT_JOBS), 'service round');
      service.push(measured.jobsPerSecond);
      submit.push(measured.submitJobsPerSecond);
      raw.push(
        (
          await withTimeout(
            rawThroughput(redisServer.url, `${prefix}-raw`, round, THROUGHPUT_JOBS),
            'raw round',
          )
        ).jobsPerSecond,
      );
    }
    const serviceRate = median(service);
    const rawRate = median(raw);
    const throughput: ServiceBenchRow = {
      name: 'service: tiny-job throughput',
      ratio: serviceRate / rawRate,
      goal: '>= 0.5',
      pass: serviceRate / rawRate >= 0.5,
      details: {
        serviceJobsPerSecond: serviceRate,
        // POST /v1/jobs alone (while the worker already runs the first jobs): where the time goes.
        serviceSubmitJobsPerSecond: median(submit),
        rawBullmqJobsPerSecond: rawRate,
        jobsPerRound: THROUGHPUT_JOBS,
        rounds: THROUGHPUT_ROUNDS,
        concurrency: WORKER_CONCURRENCY,
      },
    };
    printRow(throughput);
    rows.push(throughput);

    // (b) fan-out: no worker may take the watched job; this process plays the worker's writes.
    await stopChild(worker);
    const jobStore = new JobStore(redis, prefix);
    const trajectories = new TrajectoryStore(redis, prefix);
    const single = await fanout(baseUrl, jobStore, trajectories, 1, 12_345);
    const many = await fanout(baseUrl, jobStore, trajectories, FANOUT_CLIENTS, 12_345);
    const fan: ServiceBenchRow = {
      name: `service: SSE p99 lag, ${FANOUT_CLIENTS} vs 1 client`,
      ratio: many.p99 / single.p99,
      goal: '<= 2',
      pass: many.p99 / single.p99 <= 2,
      details: {
        p99MsMany: many.p99,
        p99MsOne: single.p99,
        p50MsMany: many.p50,
        p50MsOne: single.p50,
        maxMsMany: many.max,
        maxMsOne: single.max,
        samplesMany: many.samples,
        samplesOne: single.samples,
        connectMsMany: many.connectMs,
        batches: FANOUT_BATCHES,
        pointsPerBatch: FANOUT_POINTS_PER_BATCH,
      },
    };
    printRow(fan);
    rows.push(fan);
    return rows;
  } finally {
    await stopChild(worker);
    await stopChild(api);
    process.off('exit', stopAll);
    await redis.quit().catch(() => redis.disconnect());
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchService();
  process.exitCode = rows.every((row) => row.pass) ? 0 : 1;
}
