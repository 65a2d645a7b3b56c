import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import type { JobSpec } from '../core/spec.ts';
import { runsInline } from './inline.ts';

/**
 * The BullMQ queue of optimization jobs. Its keys live under the same prefix as the store
 * (`{p}:descent-jobs:…`); a queue job's id is the store's job id and its data is `{ jobId }`
 * (the normalised spec stays in the job record, so queue payloads are small), plus `spec`, a copy
 * of the record's, for a run small enough to start on the worker's main thread (src/queue/inline.ts):
 * such a run needs no read of its record before it starts (see workers/job-life.ts), and its spec is small.
 */

export const QUEUE_NAME = 'descent-jobs';
/** The queue only GPU workers consume (src/queue/routing.ts says which jobs go there). */
export const GPU_QUEUE_NAME = 'descent-jobs-gpu';

export interface QueueJobData {
  jobId: string;
  /** The record's spec, for a small run only (runsInline). */
  spec?: JobSpec;
}

/**
 * attempts: a processor error is retried once (a transient failure), then the job is `failed`.
 * A worker crash is not an attempt: BullMQ's stall check hands the job to another worker
 * (WORKER_MAX_STALLED_COUNT times), which resumes from the checkpoint.
 */
export const QUEUE_JOB_OPTIONS: JobsOptions = {
  attempts: 2,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

export type JobQueue = Queue<QueueJobData, unknown, string>;

/**
 * Fair order between tenants: BullMQ priorities (lower runs first; equal priorities in FIFO
 * order), with a job's priority = its position among its tenant's active jobs when it was
 * submitted (1 for a tenant with nothing queued or running, n for the n-th). A tenant that has
 * queued 10,000 jobs holds priorities 1…10,000; another tenant's single job then gets 1 and runs
 * after the jobs already at 1, not after the 10,000. Across tenants with backlogs this
 * interleaves them one for one, like a per-tenant round robin, without a queue per tenant or
 * anything outside BullMQ (its prioritized set is a zset: an add costs O(log n)). Within a
 * tenant the order is roughly FIFO: a job submitted after some of the tenant's earlier jobs
 * finished gets a lower position than the ones still queued, and may pass them.
 * The position comes from the tenant's active count, which the store keeps in its create and
 * finishing scripts (src/store/scripts/create-jobs.lua, _release.lua). BullMQ caps priorities at
 * 2^21; positions beyond it (only without MAX_ACTIVE_JOBS_PER_TENANT) share the last.
 */
export const MAX_PRIORITY = 2 ** 21;

/** The priority of a job that was `position` (0-based) among its tenant's active jobs. */
export function fairPriority(position: number): number {
  return Math.min(MAX_PRIORITY, Math.max(1, Math.floor(position) + 1));
}

export function createJobQueue(connection: ConnectionOptions, prefix: string, name = QUEUE_NAME): JobQueue {
  return new Queue<QueueJobData, unknown, string>(name, { connection, prefix });
}

/**
 * Enqueues a store job. Idempotent: BullMQ ignores a second add with the same job id, so the API
 * may call it again (e.g. on an Idempotency-Key replay of a job whose enqueue was interrupted).
 */
export async function enqueueJob(
  queue: JobQueue,
  jobId: string,
  spec?: JobSpec,
  priority = 1,
): Promise<void> {
  await queue.add('run', queueData(jobId, spec), { ...QUEUE_JOB_OPTIONS, jobId, priority });
}

/**
 * Enqueues store jobs in one round trip (BullMQ addBulk: one MULTI of adds), each with the
 * priority fairPriority(position) of its position among its tenant's active jobs: a batch's or a
 * comparison's jobs take consecutive positions.
 */
export async function enqueueJobs(
  queue: JobQueue,
  jobs: readonly { id: string; spec?: JobSpec; position: number }[],
): Promise<void> {
  await queue.addBulk(
    jobs.map((job) => ({
      name: 'run',
      data: queueData(job.id, job.spec),
      opts: { ...QUEUE_JOB_OPTIONS, jobId: job.id, priority: fairPriority(job.position) },
    })),
  );
}

function queueData(jobId: string, spec?: JobSpec): QueueJobData {
  return spec !== undefined && runsInline(spec) ? { jobId, spec } : { jobId };
}
