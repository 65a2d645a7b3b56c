import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import type { Result, TrajectoryPoint } from '../../src/core/types.ts';
import type { JobRecords } from '../../src/store/job-records.ts';
import type { JobRuns } from '../../src/store/job-runs.ts';
import type { BenchRow } from '../stats.ts';
import { now, quantile, TINY_SPEC, withTimeout } from './common.ts';
import type { HttpClient } from './http-client.ts';

/**
 * (c) SSE fan-out. One running job, watched by 1 and then by 1,000 concurrent event-stream
 * clients. Its points are produced here, through the workers' own store (JobRuns.begin,
 * JobRuns.append, JobRuns.finish) at the workers' flush cadence: a batch of 20 points
 * every 50 ms on average (jittered uniformly in 20-80 ms so batches do not phase-lock with the
 * API's 50 ms stream poll). Driving the writes from here keeps a CPU-bound optimizer thread off
 * this two-core machine's CPUs, so the figure is the fan-out's, and it gives each batch an exact
 * write time. Delivery lag of a batch to a client = the time its `points` event was complete on
 * the client (the body chunk that brought its end) − the time the batch's XADD was sent; both on
 * this process's clock. The clients are lean readers (see EventClient) so that the 1,000 of them
 * in one process measure the server, not themselves; each checks that it gets every point once,
 * in order. Every (client, batch) pair is one sample. ratio = p99 lag with 1,000 clients ÷ p99
 * lag with 1. Goal <= 2. The single-client p99 is mostly the API's stream poll interval (50 ms):
 * that is the service's real delivery lag, which the fan-out must not multiply.
 *
 * The caller stops the workers first: no worker may take the watched job.
 */

const FANOUT_CLIENTS = 1000;
const FANOUT_BATCHES = 200;
const FANOUT_POINTS_PER_BATCH = 20;

interface FanoutResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  clients: number;
  connectMs: number;
  /** CPU this process spent while the batches were written and delivered (ms). */
  clientCpuMs: number;
}

/**
 * A lean event-stream client: one request dispatched on undici's Pool with a raw handler (body
 * chunks as they arrive, no streams), scanned as latin1 text for event boundaries, no JSON
 * parsing. With 1,000 clients in this one process a full client and a JSON parse per event would
 * cost more CPU than the server's fan-out itself and make the apparatus, not the service, the
 * bottleneck. It still checks every `points` event: its first `i` must follow the previous
 * event's last `i` (its SSE id), so a lost or repeated point fails the bench.
 */
class EventClient implements Dispatcher.DispatchHandler {
  /** Receive time of each batch (NaN until received). */
  readonly received: Float64Array;
  private text = '';
  private lastI = -1;
  private statusEvents = 0;
  ended = false;
  error: string | null = null;

  constructor(
    batches: number,
    private readonly onFirstStatus: () => void,
    private readonly onEnd: () => void,
  ) {
    this.received = new Float64Array(batches).fill(Number.NaN);
  }

  open(pool: Pool, path: string): void {
    pool.dispatch({ method: 'GET', path, headers: { accept: 'text/event-stream' } }, this);
  }

  onRequestStart(): void {
    // (undici takes a handler with this method for one of its current, non-deprecated shape.)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode !== 200) this.fail(`status ${statusCode}`);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.data(chunk.toString('latin1'), now());
  }

  onResponseEnd(): void {
    if (!this.ended) this.fail('the stream ended before `end`');
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error.message);
  }

  get lastPoint(): number {
    return this.lastI;
  }

  private data(chunk: string, at: number): void {
    this.text += chunk;
    // Events end with a blank line.
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
}

function fakePoint(i: number, t: number): TrajectoryPoint {
  const x = [Math.cos(i / 100), Math.sin(i / 100)];
  return { i, f: 1 / (1 + i), gradNorm: 2 / (1 + i), lr: 0.001, x, t };
}

/** A promise and the function that resolves it once `count` calls were made. */
function countdown(count: number): { done: Promise<void>; tick: () => void } {
  let left = count;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { done, tick: () => --left === 0 && resolve() };
}

async function fanout(
  http: HttpClient,
  runs: JobRuns,
  jobs: JobRecords,
  clients: number,
  seed: number,
): Promise<FanoutResult> {
  const { id } = await http.postJson<{ id: string }>('/v1/jobs', {
    ...TINY_SPEC,
    label: 'bench-fanout',
    stop: { maxIterations: 100_000 },
  });
  const subscribed = countdown(clients);
  const ended = countdown(clients);
  const subscribers = Array.from(
    { length: clients },
    () => new EventClient(FANOUT_BATCHES, subscribed.tick, ended.tick),
  );
  const streams = new Pool(http.baseUrl, { connections: clients, pipelining: 1, bodyTimeout: 0 });
  const connectStart = performance.now();
  try {
    // Connect in waves of 100 so the listen backlog never overflows.
    for (let k = 0; k < clients; k += 100) {
      for (const client of subscribers.slice(k, k + 100)) client.open(streams, `/v1/jobs/${id}/events`);
      await sleep(20);
    }
    await withTimeout(subscribed.done, `${clients} event streams to open`);
    const connectMs = performance.now() - connectStart;

    if ((await runs.begin(id)) === null) throw new Error('bench/service: begin failed');
    await sleep(300);

    const writtenAt = new Float64Array(FANOUT_BATCHES);
    const cpuBefore = process.cpuUsage();
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
      await runs.append(id, points);
    }
    const lastI = FANOUT_BATCHES * FANOUT_POINTS_PER_BATCH - 1;
    const last = fakePoint(lastI, now() - runStart);
    const result: Result = {
      stopReason: 'max_iterations',
      converged: false,
      device: { kind: 'cpu', precision: 'float64', adapter: null },
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
    await runs.finish(id, 'completed', result, { final: params, best: params });
    await withTimeout(ended.done, `${clients} event streams to end`);
    const cpu = process.cpuUsage(cpuBefore);

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
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    await streams.destroy();
    await jobs.remove(id).catch(() => undefined);
  }
}

/** Figure (c); no worker may be running (this process plays the worker's writes). */
export async function sseLagRow(http: HttpClient, runs: JobRuns, jobs: JobRecords): Promise<BenchRow> {
  const single = await fanout(http, runs, jobs, 1, 12_345);
  const many = await fanout(http, runs, jobs, FANOUT_CLIENTS, 12_345);
  return {
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
      // This process (the 1,000 clients and the writes) over the batches: the apparatus's share.
      clientCpuMsMany: many.clientCpuMs,
      batches: FANOUT_BATCHES,
      pointsPerBatch: FANOUT_POINTS_PER_BATCH,
    },
  };
}
