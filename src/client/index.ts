import { setTimeout as sleep } from 'node:timers/promises';
import createFetchClient, { type Client } from 'openapi-fetch';
import { followEvents } from '../cli/event-stream.ts';
import type { components, operations, paths } from './openapi-types.ts';

/**
 * The typed TypeScript client of the descent API, importable as `descent/client`.
 *
 * `api` is an openapi-fetch client over the types that openapi-typescript generates from
 * openapi/openapi.json (src/client/openapi-types.ts): every route, its parameters, bodies and
 * answers, typed. The helpers on top do what a program usually wants, and throw a
 * {@link DescentError} (with the problem+json) on any error answer:
 *
 *   submit(spec) → Job            submitBatch(specs) → Job[]      wait(id) → the final Job
 *   trajectory(id) → pages        stream(id) → points (SSE, resumed after a drop)
 *   compare(spec) → Comparison    waitComparison(id) → the final Comparison
 *   streamComparison(id) → {jobId, point} (SSE, resumed with its token)
 */

export type Job = components['schemas']['Job'];
export type JobSpec = components['schemas']['JobSpecInput'];
export type Comparison = components['schemas']['Comparison'];
export type ComparisonSpec = components['schemas']['ComparisonSpecInput'];
export type RankingEntry = components['schemas']['RankingEntry'];
export type TrajectoryPoint = components['schemas']['TrajectoryPoint'];
export type TrajectoryPage = components['schemas']['TrajectoryPage'];
export type Problem = components['schemas']['Problem'];
export type { components, operations, paths };

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** An error answer of the API: its status and its RFC 9457 problem document. */
export class DescentError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'DescentError';
  }
}

export interface DescentClientOptions {
  /** The server, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` (servers with API_KEYS). */
  apiKey?: string;
  /** A fetch of your own (tests, proxies); default: the global fetch. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Between polls (default 100 ms). */
  intervalMs?: number;
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SubmitOptions {
  /** The same key (per tenant) returns the same job(s) instead of new ones. */
  idempotencyKey?: string;
}

/** The data of an openapi-fetch answer, or a DescentError. */
function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || answer.data === undefined) {
    throw new DescentError(answer.response.status, answer.error as Problem | undefined);
  }
  return answer.data;
}

async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions,
): Promise<T> {
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not finished within ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? 100, undefined, { signal: options.signal });
  }
}

export function createDescentClient(options: DescentClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const api: Client<paths> = createFetchClient<paths>({ baseUrl, headers, fetch: options.fetch });
  const idempotency = (submit: SubmitOptions | undefined) =>
    submit?.idempotencyKey === undefined ? {} : { header: { 'idempotency-key': submit.idempotencyKey } };

  /** Follows an event stream, resuming with Last-Event-ID after a drop, until its `end` event. */
  async function* events(path: string, lastEventId?: string) {
    for await (const event of followEvents(`${baseUrl}${path}`, { headers, lastEventId, delayMs: 100 })) {
      yield event;
      if (event.event === 'end') return;
    }
  }

  const client = {
    /** The openapi-fetch client: `api.GET('/v1/jobs/{id}', { params: { path: { id } } })`, … */
    api,

    /** POST /v1/jobs: the queued Job (spec normalised). */
    async submit(spec: JobSpec, submitOptions?: SubmitOptions): Promise<Job> {
      return unwrap(await api.POST('/v1/jobs', { body: spec, params: idempotency(submitOptions) }));
    },

    /** POST /v1/jobs/batch: all the jobs or none (a DescentError whose problem names `jobs[i].…`). */
    async submitBatch(specs: JobSpec[], submitOptions?: SubmitOptions): Promise<Job[]> {
      const answer = await api.POST('/v1/jobs/batch', {
        body: { jobs: specs },
        params: idempotency(submitOptions),
      });
      return unwrap(answer).items;
    },

    async getJob(id: string): Promise<Job> {
      return unwrap(await api.GET('/v1/jobs/{id}', { params: { path: { id } } }));
    },

    async cancel(id: string): Promise<Job> {
      return unwrap(await api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
    },

    /** Resolves with the job once it has finished (completed, failed or cancelled). */
    wait(id: string, waitOptions: WaitOptions = {}): Promise<Job> {
      return poll(
        () => client.getJob(id),
        (job) => FINISHED.has(job.status),
        waitOptions,
      );
    },

    /**
     * The job's trajectory, page by page (`limit` points each), until it is complete: a page of a
     * running job that has no new points is waited for (`intervalMs`), not yielded empty.
     */
    async *trajectory(
      id: string,
      pageOptions: { after?: number; limit?: number; intervalMs?: number } = {},
    ): AsyncGenerator<TrajectoryPage> {
      let after = pageOptions.after ?? -1;
      for (;;) {
        const page = unwrap(
          await api.GET('/v1/jobs/{id}/trajectory', {
            params: { path: { id }, query: { after, limit: pageOptions.limit ?? 1000 } },
          }),
        ) as TrajectoryPage;
        if (page.points.length > 0 || page.complete) yield page;
        if (page.complete) return;
        after = page.next;
        if (page.points.length === 0) await sleep(pageOptions.intervalMs ?? 100);
      }
    },

    /**
     * The job's points as they are recorded (Server-Sent Events), from after `after` (default: the
     * first), until the job ends; a dropped stream is resumed with Last-Event-ID, so no point is
     * lost or repeated. The generator's return value is the final Job.
     */
    async *stream(id: string, streamOptions: { after?: number } = {}): AsyncGenerator<TrajectoryPoint, Job> {
      const after = streamOptions.after;
      const path = `/v1/jobs/${encodeURIComponent(id)}/events`;
      let last = after ?? -1;
      for await (const event of events(path, after === undefined ? undefined : String(after))) {
        if (event.event === 'points') {
          for (const point of (JSON.parse(event.data) as { points: TrajectoryPoint[] }).points) {
            if (point.i <= last) continue;
            last = point.i;
            yield point;
          }
        } else if (event.event === 'end') return JSON.parse(event.data) as Job;
      }
      throw new Error('the event stream ended without its end event');
    },

    /** POST /v1/comparisons: the queued Comparison (one job per run). */
    async compare(spec: ComparisonSpec, submitOptions?: SubmitOptions): Promise<Comparison> {
      return unwrap(await api.POST('/v1/comparisons', { body: spec, params: idempotency(submitOptions) }));
    },

    async getComparison(id: string): Promise<Comparison> {
      return unwrap(await api.GET('/v1/comparisons/{id}', { params: { path: { id } } }));
    },

    async cancelComparison(id: string): Promise<Comparison> {
      return unwrap(await api.POST('/v1/comparisons/{id}/cancel', { params: { path: { id } } }));
    },

    /** Resolves with the comparison once every run has finished. */
    waitComparison(id: string, waitOptions: WaitOptions = {}): Promise<Comparison> {
      return poll(
        () => client.getComparison(id),
        (comparison) => FINISHED.has(comparison.status),
        waitOptions,
      );
    },

    /**
     * Every run's points as they are recorded, tagged with the run's job id, until every run has
     * ended. A dropped stream is resumed with its token (Last-Event-ID `v1.<i0>.<i1>…`), so no point
     * is lost or repeated per run. The return value is the final Comparison.
     */
    async *streamComparison(
      id: string,
      streamOptions: { after?: string } = {},
    ): AsyncGenerator<{ jobId: string; point: TrajectoryPoint }, Comparison> {
      const path = `/v1/comparisons/${encodeURIComponent(id)}/events`;
      for await (const event of events(path, streamOptions.after)) {
        if (event.event === 'points') {
          const { jobId, points } = JSON.parse(event.data) as { jobId: string; points: TrajectoryPoint[] };
          for (const point of points) yield { jobId, point };
        } else if (event.event === 'end') return JSON.parse(event.data) as Comparison;
      }
      throw new Error('the event stream ended without its end event');
    },
  };
  return client;
}

export type DescentClient = ReturnType<typeof createDescentClient>;
