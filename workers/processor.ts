import { workerData } from 'node:worker_threads';
import type { SandboxedJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueJobData } from '../src/queue/job-queue.ts';
import { createWorkerRedis } from '../src/redis/connection.ts';
import { JobStore } from '../src/store/jobs.ts';
import { TrajectoryStore } from '../src/store/trajectory.ts';
import { type DriveOutcome, driveJob } from './drive.ts';

/**
 * The sandboxed processor: BullMQ runs it on a worker thread (useWorkerThreads), loaded through
 * processor-entry.mjs, so a long CPU-bound run never blocks the worker process's event loop and
 * its lock renewal. The thread keeps one Redis connection for all the jobs it runs.
 */

/** Settings the worker process hands each thread (workerData.settings). */
export interface ThreadSettings {
  redisUrl: string;
  redisPrefix: string;
  checkpointIntervalMs: number;
  inlineParamsMaxDim: number;
  jobTtlSeconds: number;
}

interface ThreadContext {
  redis: Redis;
  jobs: JobStore;
  trajectories: TrajectoryStore;
  settings: ThreadSettings;
}

let context: ThreadContext | null = null;

function threadContext(): ThreadContext {
  if (context !== null) return context;
  const settings = (workerData as { settings?: ThreadSettings } | null)?.settings;
  if (!settings) throw new Error('the processor thread was started without workerData.settings');
  const redis = createWorkerRedis({ redisUrl: settings.redisUrl }, { connectionName: 'descent-processor' });
  context = {
    redis,
    settings,
    jobs: new JobStore(redis, settings.redisPrefix, { finishedTtlSeconds: settings.jobTtlSeconds }),
    trajectories: new TrajectoryStore(redis, settings.redisPrefix),
  };
  return context;
}

export default async function processJob(
  job: SandboxedJob<QueueJobData, DriveOutcome>,
  _token?: string,
  signal?: AbortSignal,
): Promise<DriveOutcome> {
  const { jobs, trajectories, settings } = threadContext();
  return driveJob({
    jobId: job.data.jobId ?? job.id,
    jobs,
    trajectories,
    checkpointIntervalMs: settings.checkpointIntervalMs,
    inlineParamsMaxDim: settings.inlineParamsMaxDim,
    signal,
  });
}
