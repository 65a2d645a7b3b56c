import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Result, TrajectoryPoint } from '../src/core/types.ts';
import { QUEUE_JOB_OPTIONS } from '../src/queue/job-queue.ts';
import { redisOptionsFromUrl } from '../src/redis/connection.ts';
import { spawnRedisServer } from '../src/redis/embedded.ts';
import { JobStore } from '../src/store/jobs.ts';
import { TrajectoryStore } from '../src/store/trajectory.ts';
import { type BenchRow, describeRow, median } from './stats.ts';

/**
 * The service bench: the real API (`src/api/server.ts`) and a real worker (`workers/worker.ts`) as
 * child processes on a private redis-server (unix socket in a temp dir, no persistence), driven
 * over loopback HTTP from this process (the API logs at warn: at info pino writes two lines per
 * request to a pipe: measured, 0.30 ms of API CPU per tiny job instead of 0.17). Three figures:
 *
 * (a) tiny-job throughput. The service: N jobs `sphere dim 2, sgd, maxIterations 1` POSTed to
 *     /v1/jobs (16 requests in flight, each on its own keep-alive connection: see
 *     HttpConnection), from the first POST until every job is completed: the last-submitted job
 *     is polled every 20 ms until it reads `completed`, then every job is confirmed completed over
 *     HTTP (list pages), the window ending at the latest `finishedAt` (a job not listed yet ends
 *     it no earlier than when it is seen completed). The reference: raw BullMQ on the same Redis, `queue.add` of N no-op jobs (16
 *     in flight, the service's job options) and a Worker with an empty processor at the same
 *     concurrency as the service's worker, in this process, from the first add to the Nth
 *     `completed`. Both sides first run THROUGHPUT_WARMUP_JOBS jobs: V8 needs a few thousand
 *     jobs before the API and the worker reach their steady speed (measured: the CPU each spends
 *     per tiny job falls three- to fourfold over their first 3,000; raw BullMQ's too). ratio =
 *     service jobs/s ÷ raw jobs/s (medians of THROUGHPUT_ROUNDS alternating rounds). Goal >= 0.5.
 *
 * (a′) the ceiling of (a), an informational row: the least an HTTP front to BullMQ can be, in the
 *     service's process layout — a bare Fastify POST that only adds `{ jobId }` (bench/service/
 *     ceiling-api.ts) and a no-op BullMQ Worker in a process of its own (ceiling-worker.ts) —
 *     driven by the same client, in rounds alternating with (a)'s. ratio = its jobs/s ÷ raw
 *     jobs/s. With the CPU each process spends per job (details of both rows, and of raw BullMQ),
 *     it shows what the HTTP hop and the process split cost before the service does any work of
 *     its own: on a two-core machine every process shares the same two CPUs, so the ratio is
 *     close to raw's CPU per job ÷ the service's.
 *
 * (b) cancel latency. CANCEL_JOBS long runs, one at a time: each is cancelled once it runs on a
 *     worker thread, and polled every 2 ms over HTTP; latency = time from the cancel's response
 *     to the first read of `cancelled`. ratio = the largest latency ÷ 100 ms. Goal <= 1 (every
 *     cancel within 100 ms).
 *
 * (c) SSE fan-out. One running job, watched by 1 and then by 1,000 concurrent event-stream
 *     clients. Its points are produced here, through the workers' own store (JobStore.begin,
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

const ROOT = path.resolve(import.meta.dirname, '..');
const WORKER_CONCURRENCY = 2;
const IN_FLIGHT = 16;
const THROUGHPUT_JOBS = 1000;
const THROUGHPUT_WARMUP_JOBS = 2000;
const THROUGHPUT_ROUNDS = 5;
const FANOUT_CLIENTS = 1000;
const FANOUT_BATCHES = 200;
const FANOUT_POINTS_PER_BATCH = 20;
/** Upper bound on any single wait, so the bench always ends. */
const STEP_TIMEOUT_MS = 120_000;

/** A run that would take minutes (stopped by its cancel): rosenbrock, sgd with a tiny step. */
const CANCEL_SPEC = {
  objective: { type: 'builtin', name: 'rosenbrock' },
  optimizer: { name: 'sgd', lr: 1e-6 },
  stop: { maxIterations: 10_000_000, gradTol: 0 },
  seed: 1,
  label: 'bench-cancel',
};
const CANCEL_JOBS = 10;
const CANCEL_GOAL_MS = 100;

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

/** Runs `task(k, lane)` for k < count with at most `limit` in flight (lane < limit: which one). */
async function pool(
  count: number,
  limit: number,
  task: (k: number, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async (_, lane) => {
    while (next < count) await task(next++, lane);
  });
  await Promise.all(lanes);
}

interface HttpResponse {
  status: number;
  body: string;
}

/**
 * A lean HTTP/1.1 client for the throughput and cancel figures: one keep-alive loopback socket,
 * one request at a time, the response read by its Content-Length. fetch (undici, web streams)
 * cost this bench process about as much CPU per request as the API spent serving it (profiled:
 * ~1.8 s of undici for 3,000 POSTs), and on two cores that CPU is taken from the service under
 * test; the raw BullMQ reference has no HTTP client to pay for. Like the SSE figure's EventClient,
 * the apparatus stays light so the figure is the service's.
 */
class HttpConnection {
  private readonly socket: Socket;
  private readonly connected: Promise<void>;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (response: HttpResponse) => void; reject: (error: Error) => void } | null =
    null;

  constructor(private readonly port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.data(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  async request(method: string, path: string, body?: string): Promise<HttpResponse> {
    await this.connected;
    if (this.pending !== null) throw new Error('bench/service: one request at a time per connection');
    const headers =
      body === undefined
        ? `content-length: 0\r\n`
        : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    const response = new Promise<HttpResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    this.socket.write(
      `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n${headers}\r\n${body ?? ''}`,
    );
    return response;
  }

  close(): void {
    this.pending = null;
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd === -1) return;
    const head = this.buffer.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length === null) {
      this.fail(new Error(`bench/service: a response without content-length: ${head}`));
      return;
    }
    const end = headerEnd + 4 + Number(length[1]);
    if (this.buffer.length < end) return;
    const body = this.buffer.toString('utf8', headerEnd + 4, end);
    this.buffer = this.buffer.subarray(end);
    const pending = this.pending;
    this.pending = null;
    pending?.resolve({ status: Number(head.slice(9, 12)), body });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }
}

/** `count` keep-alive connections to the API, one per pool lane. */
function httpConnections(baseUrl: string, count: number): HttpConnection[] {
  const port = Number(new URL(baseUrl).port);
  return Array.from({ length: count }, () => new HttpConnection(port));
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

/**
 * CPU time (user + system, ms) of each process so far: the bench's own from process.cpuUsage,
 * the others from /proc/<pid>/stat (Linux; a process that cannot be read is left out).
 */
function cpuMilliseconds(pids: Record<string, number | undefined>): Record<string, number> {
  const usage = process.cpuUsage();
  const times: Record<string, number> = { client: (usage.user + usage.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    try {
      // fields after the parenthesised command: utime and stime are the 12th and 13th, in ticks (100/s)
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      times[name] = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      /* not Linux, or the process is gone */
    }
  }
  return times;
}

/** CPU spent by a set of processes (and this one, as `client`) over the calls to `during`. */
class CpuTally {
  private readonly totals: Record<string, number> = {};
  constructor(private readonly pids: Record<string, number | undefined>) {}

  async during<T>(work: () => Promise<T>): Promise<T> {
    const before = cpuMilliseconds(this.pids);
    const result = await work();
    const after = cpuMilliseconds(this.pids);
    for (const key of Object.keys(after))
      this.totals[key] = (this.totals[key] ?? 0) + after[key] - before[key];
    return result;
  }

  /** `{ <prefix>ApiCpuMsPerJob: …, … }` (`apiCpuMsPerJob` with no prefix), and their total. */
  perJob(prefix: string, jobs: number): Record<string, number> {
    const name = (key: string) => (prefix === '' ? key : `${prefix}${key[0].toUpperCase()}${key.slice(1)}`);
    const entries = Object.entries(this.totals).map(([key, ms]) => [name(`${key}CpuMsPerJob`), ms / jobs]);
    const total = Object.values(this.totals).reduce((sum, ms) => sum + ms, 0) / jobs;
    return { ...Object.fromEntries(entries), [name('totalCpuMsPerJob')]: total };
  }
}

/**
 * Starts a service process. BENCH_CHILD_NODE_ARGS adds node flags to the API and worker, for
 * profiling them under the bench's load, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`.
 */
function spawnTs(script: string, env: Record<string, string>): Child {
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], {
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
  http: HttpConnection[],
  round: number,
  jobs: number,
): Promise<{ jobsPerSecond: number; submitJobsPerSecond: number; ms: number }> {
  const ids: string[] = new Array(jobs);
  const label = `bench-tiny-${round}`;
  const body = JSON.stringify({ ...TINY_SPEC, label });
  const start = now();
  await pool(jobs, http.length, async (k, lane) => {
    const response = await http[lane].request('POST', '/v1/jobs', body);
    if (response.status !== 202)
      throw new Error(`bench/service: POST /v1/jobs → ${response.status}: ${response.body}`);
    ids[k] = (JSON.parse(response.body) as { id: string }).id;
  });
  const submitMs = now() - start;
  const status = async (id: string, lane: number): Promise<string> => {
    const response = await http[lane].request('GET', `/v1/jobs/${id}`);
    const job = JSON.parse(response.body) as { status: string };
    if (job.status === 'failed' || job.status === 'cancelled') {
      throw new Error(`bench/service: tiny job ${id} ended ${job.status}`);
    }
    return job.status;
  };
  // Jobs run in submission order: the last one is polled every 20 ms until it reads completed
  // (a tighter poll would spend the service's CPU on the measurement itself). The window ends at
  // the latest finishedAt of the round's jobs, stamped by the worker on this machine's clock, so
  // the poll interval does not lengthen it. Every job is confirmed completed over HTTP, through
  // the list endpoint (this round's label, status completed, 100 a page).
  while ((await status(ids[jobs - 1], 0)) !== 'completed') await sleep(20);
  let end = start;
  let pending = new Set(ids);
  let cursor: string | null = null;
  do {
    const query = `status=completed&label=${label}&limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await http[0].request('GET', `/v1/jobs?${query}`);
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
  // Not listed yet (unlikely: jobs finish in order): watched one by one, each ending the window
  // no earlier than the time it is seen completed.
  while (pending.size > 0) {
    const still = new Set<string>();
    const left = [...pending];
    await pool(left.length, http.length, async (k, lane) => {
      if ((await status(left[k], lane)) !== 'completed') still.add(left[k]);
      else end = Math.max(end, now());
    });
    pending = still;
    if (pending.size > 0) await sleep(20);
  }
  const ms = end - start;
  return { jobsPerSecond: (jobs / ms) * 1000, submitJobsPerSecond: (jobs / submitMs) * 1000, ms };
}

/**
 * The ceiling service of figure (a′): its API and worker as child processes on the bench's
 * Redis, and IN_FLIGHT keep-alive connections to its API. `round(jobs)` submits through them and
 * ends when the worker reports the round's last completion.
 */
class CeilingService {
  private readonly http: HttpConnection[];
  private waiters: { count: number; resolve: (at: number) => void }[] = [];
  private submitted = 0;

  private constructor(
    readonly api: Child,
    readonly worker: Child,
    port: number,
  ) {
    this.http = httpConnections(`http://127.0.0.1:${port}`, IN_FLIGHT);
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
    await waitFor('the ceiling API', api, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
    await waitFor('the ceiling worker', worker, async () => worker.output().includes('ready'));
    return new CeilingService(api, worker, port);
  }

  /** Jobs/s from the first POST to the worker's report of the round's last completion. */
  async round(jobs: number): Promise<{ jobsPerSecond: number }> {
    this.submitted += jobs;
    const target = this.submitted;
    const finished = new Promise<number>((resolve) => this.waiters.push({ count: target, resolve }));
    // The service's request body (parsed as JSON, not looked at), so both carry the same bytes.
    const body = JSON.stringify({ ...TINY_SPEC, label: 'bench-ceiling' });
    const start = now();
    await pool(jobs, this.http.length, async (_k, lane) => {
      const response = await this.http[lane].request('POST', '/jobs', body);
      if (response.status !== 202) throw new Error(`bench/service: ceiling POST /jobs → ${response.status}`);
    });
    const end = await withTimeout(finished, 'ceiling jobs');
    return { jobsPerSecond: (jobs / (end - start)) * 1000 };
  }

  /** Closes its connections and stops both processes (again: a no-op). */
  async stop(): Promise<void> {
    for (const connection of this.http) connection.close();
    await Promise.all([stopChild(this.api), stopChild(this.worker)]);
  }
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
      // The service's job options (src/queue/job-queue.ts): own id, 2 attempts, removed on completion.
      const jobId = `raw-${round}-${k}`;
      await queue.add('run', { jobId }, { ...QUEUE_JOB_OPTIONS, jobId });
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
// (b) cancel latency

/**
 * Cancel latency of `count` running jobs, one at a time: each is submitted, watched until its
 * run reports progress (it is then on a worker thread, past its first slice), cancelled with
 * POST /v1/jobs/{id}/cancel, then polled every 2 ms with GET /v1/jobs/{id}; its latency is the
 * time from the cancel's response to the first GET that reads `cancelled`.
 */
async function cancelLatencies(http: HttpConnection, count: number): Promise<number[]> {
  const body = JSON.stringify(CANCEL_SPEC);
  const latencies: number[] = [];
  for (let k = 0; k < count; k++) {
    const submitted = await http.request('POST', '/v1/jobs', body);
    if (submitted.status !== 202) throw new Error(`bench/service: POST /v1/jobs → ${submitted.status}`);
    const { id } = JSON.parse(submitted.body) as { id: string };
    const job = async () =>
      JSON.parse((await http.request('GET', `/v1/jobs/${id}`)).body) as {
        status: string;
        progress: unknown;
      };
    for (let current = await job(); current.status !== 'running' || current.progress === null; ) {
      if (current.status !== 'queued' && current.status !== 'running') {
        throw new Error(`bench/service: the job to cancel ended ${current.status} before its cancel`);
      }
      await sleep(5);
      current = await job();
    }
    const cancelled = await http.request('POST', `/v1/jobs/${id}/cancel`);
    const at = now();
    if (cancelled.status !== 200) throw new Error(`bench/service: cancel → ${cancelled.status}`);
    for (;;) {
      const { status } = await job();
      if (status === 'cancelled') break;
      if (status !== 'running') throw new Error(`bench/service: a cancelled job ended ${status}`);
      if (now() - at > STEP_TIMEOUT_MS) throw new Error('bench/service: a cancel was never honoured');
      await sleep(2);
    }
    latencies.push(now() - at);
  }
  return latencies;
}

// ---------------------------------------------------------------------------------------------
// (c) SSE fan-out

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

    if ((await jobs.begin(id)) === null) throw new Error('bench/service: begin failed');
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

export async function benchService(): Promise<BenchRow[]> {
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
  let ceiling: CeilingService | undefined;
  let http: HttpConnection[] = [];
  const redis = new Redis({ ...redisOptionsFromUrl(redisServer.url), maxRetriesPerRequest: null });
  const rows: BenchRow[] = [];
  const stopAll = () => {
    for (const child of [api, worker, ceiling?.api, ceiling?.worker]) child?.process.kill('SIGKILL');
  };
  process.once('exit', stopAll);
  try {
    api = spawnTs('src/api/server.ts', env);
    worker = spawnTs('workers/worker.ts', env);
    await waitFor('the API', api, async () => (await fetch(`${baseUrl}/healthz`)).ok);
    const apiChild = api;
    await waitFor('a worker', worker, async () => {
      const response = await fetch(`${baseUrl}/readyz`);
      return response.ok || apiChild.process.exitCode !== null;
    });

    // (a) throughput and (a′) its ceiling: warm every path up, then alternate rounds.
    http = httpConnections(baseUrl, IN_FLIGHT);
    const ceilingService = await CeilingService.start(redisServer.url, `${prefix}-ceiling`, THROUGHPUT_JOBS);
    ceiling = ceilingService;
    await withTimeout(serviceThroughput(http, 0, THROUGHPUT_WARMUP_JOBS), 'service warm-up');
    await withTimeout(
      rawThroughput(redisServer.url, `${prefix}-raw`, 0, THROUGHPUT_WARMUP_JOBS),
      'raw warm-up',
    );
    await ceilingService.round(THROUGHPUT_WARMUP_JOBS);
    const redisPid = redisServer.pid ?? undefined;
    const rates = {
      service: [] as number[],
      submit: [] as number[],
      raw: [] as number[],
      ceiling: [] as number[],
    };
    const cpu = {
      service: new CpuTally({ api: api.process.pid, worker: worker.process.pid, redis: redisPid }),
      raw: new CpuTally({ redis: redisPid }),
      ceiling: new CpuTally({
        api: ceilingService.api.process.pid,
        worker: ceilingService.worker.process.pid,
        redis: redisPid,
      }),
    };
    for (let round = 1; round <= THROUGHPUT_ROUNDS; round++) {
      const measured = await cpu.service.during(() =>
        withTimeout(serviceThroughput(http, round, THROUGHPUT_JOBS), 'service round'),
      );
      rates.service.push(measured.jobsPerSecond);
      rates.submit.push(measured.submitJobsPerSecond);
      const raw = await cpu.raw.during(() =>
        withTimeout(rawThroughput(redisServer.url, `${prefix}-raw`, round, THROUGHPUT_JOBS), 'raw round'),
      );
      rates.raw.push(raw.jobsPerSecond);
      const bare = await cpu.ceiling.during(() => ceilingService.round(THROUGHPUT_JOBS));
      rates.ceiling.push(bare.jobsPerSecond);
    }
    await ceilingService.stop();
    const jobsMeasured = THROUGHPUT_ROUNDS * THROUGHPUT_JOBS;
    const serviceRate = median(rates.service);
    const rawRate = median(rates.raw);
    const ceilingRate = median(rates.ceiling);
    const roundRatios = rates.service.map((rate, k) => rate / rates.raw[k]);
    const throughput: BenchRow = {
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
    };
    rows.push(throughput, {
      name: 'service: ceiling, bare HTTP + BullMQ (info)',
      ratio: ceilingRate / rawRate,
      goal: 'none',
      pass: null,
      details: { ceilingJobsPerSecond: ceilingRate, ...cpu.ceiling.perJob('ceiling', jobsMeasured) },
    });

    // (b) cancel latency, while the worker still runs.
    const latencies = await withTimeout(cancelLatencies(http[0], CANCEL_JOBS), 'cancel latency');
    const maxLatency = Math.max(...latencies);
    const cancel: BenchRow = {
      name: `service: cancel latency, max of ${CANCEL_JOBS} ÷ ${CANCEL_GOAL_MS} ms`,
      ratio: maxLatency / CANCEL_GOAL_MS,
      goal: '<= 1',
      pass: maxLatency <= CANCEL_GOAL_MS,
      details: {
        maxMs: maxLatency,
        medianMs: median(latencies),
        minMs: Math.min(...latencies),
        jobs: CANCEL_JOBS,
        goalMs: CANCEL_GOAL_MS,
      },
    };
    rows.push(cancel);

    // (c) fan-out: no worker may take the watched job; this process plays the worker's writes.
    await stopChild(worker);
    const jobStore = new JobStore(redis, prefix);
    const trajectories = new TrajectoryStore(redis, prefix);
    const single = await fanout(baseUrl, jobStore, trajectories, 1, 12_345);
    const many = await fanout(baseUrl, jobStore, trajectories, FANOUT_CLIENTS, 12_345);
    const fan: BenchRow = {
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
    rows.push(fan);
    return rows;
  } finally {
    for (const connection of http) connection.close();
    await stopChild(worker);
    await stopChild(api);
    await ceiling?.stop();
    process.off('exit', stopAll);
    await redis.quit().catch(() => redis.disconnect());
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchService();
  for (const row of rows) console.log(describeRow(row));
  process.exitCode = rows.every((row) => row.pass) ? 0 : 1;
}
