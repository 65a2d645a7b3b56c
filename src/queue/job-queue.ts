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

export function createJobQueue(connection: ConnectionOptions, prefix: string, name = QUEUE_NAME): JobQueue {
  return new Queue<QueueJobData, unknown, string>(name, { connection, prefix });
}

/**
 * Enqueues a store job. Idempotent: BullMQ ignores a second add with the same job id, so the API
 * may call it again (e.g. on an Idempotency-Key replay of a job whose enqueue was interrupted).
 */
export async function enqueueJob(queue: JobQueue, jobId: string, spec?: JobSpec): Promise<void> {
  const data: QueueJobData = spec !== undefined && runsInline(spec) ? { jobId, spec } : { jobId };
  await queue.add('run', data, { ...QUEUE_JOB_OPTIONS, jobId });
}
