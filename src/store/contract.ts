import type { RunCheckpoint } from '../core/run.ts';
import type { JobSpec } from '../core/spec.ts';
import type { Result, TrajectoryPoint } from '../core/types.ts';

/**
 * The Redis data model shared by the API (src/api/routes) and the workers (workers/).
 * Everything lives under a key prefix (config REDIS_PREFIX, default `descent`; tests use a random
 * one). Layout:
 *
 *   {p}:job:{id}              hash   the job record (fields below; JSON-encoded objects); also
 *                                    `comparison` (its comparison's id), `webhook` (the URL) and
 *                                    `webhookLog` (WebhookDeliveries JSON) when set
 *   {p}:jobs:{tenant}         zset   job ids scored by createdAt ms (list newest first, cursor pages)
 *   {p}:job:{id}:points       stream trajectory points; entry id `{i}-1` (derived from the iteration,
 *                                    so a retried job can never write a point twice: XADD of an id
 *                                    <= the stream's last id is refused and skipped)
 *   {p}:job:{id}:checkpoint   string latest RunCheckpoint JSON (deleted when the job finishes)
 *   {p}:job:{id}:params       hash   `final` and `best` as little-endian float64 bytes (finished jobs)
 *   {p}:idem:{tenant}:{key}   string job id for an Idempotency-Key (SET NX, 24 h TTL)
 *   {p}:idem-batch:{tenant}:{key}, {p}:idem-comparison:{tenant}:{key}
 *                             string comma-joined job ids of a batch, or a comparison id
 *   {p}:active:{tenant}       string the tenant's queued + running jobs (MAX_ACTIVE_JOBS_PER_TENANT):
 *                                    raised by create-jobs.lua, lowered by the script that finishes a job
 *   {p}:comparison:{id}       hash   a comparison (src/store/comparisons.ts): its members' ids, a count of
 *                                    unfinished members that their finishing scripts count down
 *   {p}:comparisons:{tenant}  zset   comparison ids scored by createdAt ms
 *   {p}:webhook-outbox        zset   webhook deliveries to enqueue (`job-{id}`, `comparison-{id}`), put
 *                                    there by the finishing scripts (src/webhooks/outbox.ts)
 *   {p}:cancel                pubsub channel; message = job id (workers stop that run within 100 ms)
 *   {p}:events:{id}           pubsub channel; message = new status (SSE readers wake on it)
 *   {p}:finished              pubsub channel; message = FinishedJob JSON, sent by the script that
 *                                    finishes a running job or fails a job (the API's run metrics)
 *   {p}:workers               zset   worker ids scored by last heartbeat ms (readyz: "a worker seen recently")
 *   {p}:worker:{id}           string the worker's WorkerInfo JSON: queues (cpu, gpu) and GPU adapter (routing, readyz)
 *   {p}:dataset:{id}          hash   an uploaded data set: id, tenant, meta (JSON: shape, columns, task,
 *                                    labels), X and y (little-endian float64 bytes); immutable
 *   {p}:dataset:{id}:jobs     set    ids of the queued and running jobs that use it (added by the job's
 *                                    create script, removed by the script that finishes, fails or
 *                                    cancels it; a job record's `dataset` field names the data set's key),
 *                                    so that DELETE of a data set in use is refused atomically
 *   {p}:datasets:{tenant}     zset   data set ids scored by createdAt ms
 *
 * GPU jobs (`device: "gpu"`, and `auto` ones routed to a GPU) go to a second queue,
 * `descent-jobs-gpu`, with the same payload; only GPU workers consume it (src/queue/routing.ts).
 * The BullMQ queue is named `descent-jobs` (same prefix); job data = { jobId } (the normalised spec
 * is in the record, so the queue payload stays small), plus `spec`, a copy of the record's, for a
 * run small enough to start on a worker's main thread (src/queue/inline.ts); BullMQ job id = our job id.
 */

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface JobProgress {
  iteration: number;
  maxIterations: number;
  f: number;
  gradNorm: number;
}

/**
 * The `{p}:finished` message: a job's final status and, for a run that finished, its size.
 * Published by JobRuns.finish, JobRuns.finishUnstarted and JobRuns.fail in the same script as
 * the transition, so each finished job is announced once (a job cancelled while queued is counted by the API itself).
 */
export interface FinishedJob {
  id: string;
  status: 'completed' | 'cancelled' | 'failed';
  iterations: number | null;
  wallMs: number | null;
}

export interface JobError {
  code: string;
  message: string;
}

/** A job record as stored; `toJobResource` (routes) adds `links` for the API. */
export interface JobRecord {
  id: string;
  tenant: string;
  status: JobStatus;
  spec: JobSpec;
  progress: JobProgress | null;
  result: Result | null;
  error: JobError | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** True once cancel was requested (a queued job is cancelled at once; a running one by its worker). */
  cancelRequested: boolean;
  /** The comparison the job is a member of (absent: none). */
  comparisonId?: string;
  /** Where the job's webhook goes, and how its delivery went (absent: no webhook). */
  webhook?: WebhookState;
}

/** A webhook's URL and its delivery log (written by the worker that delivers it). */
export interface WebhookState {
  url: string;
  deliveries: WebhookDeliveries;
}

export interface WebhookDeliveries {
  /** Attempts made so far (0 until the job or comparison has finished and the first POST went out). */
  attempts: number;
  /** The HTTP status of the last attempt; null before the first, or when it got no answer. */
  lastStatus: number | null;
  /** Why the last attempt failed (a timeout, a refused address, a non-2xx status); null when it succeeded. */
  lastError: string | null;
  lastAttemptAt: string | null;
  /** When a 2xx was received; null until then. */
  deliveredAt: string | null;
}

export const NO_DELIVERIES: WebhookDeliveries = {
  attempts: 0,
  lastStatus: null,
  lastError: null,
  lastAttemptAt: null,
  deliveredAt: null,
};

export interface ListQuery {
  status?: JobStatus;
  label?: string;
  limit: number;
  cursor?: string;
}

/** A job's first write (src/store/job-submissions.ts). */
export interface JobSubmissionsContract {
  /**
   * Creates a queued job; with an idempotency key, returns the existing job instead (created: false).
   * `id` (default: a fresh unguessable one) lets the caller issue the enqueue right behind the
   * create, on the same connection, without waiting for its reply.
   */
  create(
    tenant: string,
    spec: JobSpec,
    idempotencyKey?: string,
    id?: string,
  ): Promise<{ job: JobRecord; created: boolean }>;
}

/** What the API reads and does with a written record (src/store/job-records.ts). */
export interface JobRecordsContract {
  /** The record, or null when missing or owned by another tenant (`tenant` undefined: any). */
  get(id: string, tenant?: string): Promise<JobRecord | null>;
  list(tenant: string, query: ListQuery): Promise<{ items: JobRecord[]; nextCursor: string | null }>;
  /** Idempotent. A queued job becomes cancelled at once (empty result); a running one is signalled. */
  requestCancel(id: string): Promise<JobRecord | null>;
  /** Removes a finished job, its trajectory, params and checkpoint. */
  remove(id: string): Promise<void>;
  params(id: string, which: 'final' | 'best'): Promise<Float64Array | null>;
}

/** What a worker's JobLife writes while its job runs (src/store/job-runs.ts). */
export interface JobRunsContract {
  /** The record (any tenant's), or null when missing. */
  get(id: string): Promise<JobRecord | null>;
  /**
   * queued → running (sets startedAt once) and the job's checkpoint, in one round trip; null when
   * the job is gone or already finished.
   */
  begin(id: string): Promise<{ record: JobRecord; checkpoint: RunCheckpoint | null } | null>;
  /** Only while running; resolves to true when a cancel was requested (the worker's fallback to pub/sub). */
  setProgress(id: string, progress: JobProgress): Promise<boolean>;
  /**
   * running → completed | cancelled with the result; stores final/best params; deletes the checkpoint.
   * Resolves to false (and changes nothing) when the job was not running. `points`, the run's last
   * points, are appended (as `append` does) in the same round trip, before the status changes.
   */
  finish(
    id: string,
    status: 'completed' | 'cancelled',
    result: Result,
    params: { final: Float64Array; best: Float64Array },
    maxIterations?: number,
    points?: readonly TrajectoryPoint[],
  ): Promise<boolean>;
  /** queued | running → failed; resolves to false (no change) when the job had already finished. */
  fail(id: string, error: JobError): Promise<boolean>;
  /** Appends points in order, in one round trip; points whose i is not above the stream's last i are skipped. Resolves to the number added. */
  append(id: string, points: TrajectoryPoint[]): Promise<number>;
  saveCheckpoint(id: string, checkpoint: RunCheckpoint): Promise<void>;
  loadCheckpoint(id: string): Promise<RunCheckpoint | null>;
}

export interface TrajectoryStoreContract {
  /** Points with i > after, at most `limit`, in order. */
  read(id: string, after: number, limit: number): Promise<TrajectoryPoint[]>;
  /** The last stored i, or -1. */
  lastIteration(id: string): Promise<number>;
}
