import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import type { QueueJobData } from '../src/queue/job-queue.ts';
import { QUEUE_NAMES, type QueueKind } from '../src/queue/routing.ts';
import { createWorkerRedis, waitUntilReady, warnIfEvicting } from '../src/redis/connection.ts';
import { DatasetStore } from '../src/store/datasets.ts';
import { JobRuns } from '../src/store/job-runs.ts';
import { StoreKeys } from '../src/store/keys.ts';
import { type WorkerInfo, WorkerRegistry } from '../src/store/workers.ts';
import type { Resolver } from '../src/webhooks/destination.ts';
import { DatasetCache } from './dataset-cache.ts';
import { deviceJobs } from './device-jobs.ts';
import { setUpDevices } from './devices.ts';
import { CANCEL, HAND_BACK, type JobOutcome } from './job-life.ts';
import { createProcessor } from './processor.ts';
import { RunThreads } from './run-threads.ts';
import { startWebhooks } from './webhooks.ts';

/**
 * A worker: a BullMQ Worker per queue it takes (`descent-jobs`, and `descent-jobs-gpu` with a GPU; WORKER_DEVICES), each with a plain processor (workers/processor.ts: a
 * small run's first slice on this main thread, the rest on run threads, workers/run-threads.ts),
 * plus what the service needs around it:
 *
 *   - cancel: `{p}:cancel` pub/sub → `worker.cancelJob(id)` → the job's AbortSignal → its run
 *     thread stops the run at the next slice boundary (~20 ms);
 *   - hand-back on close (SIGTERM): stop taking jobs, abort running ones with HAND_BACK so each
 *     thread flushes its points and writes a checkpoint, then move each job straight back to
 *     the wait list (`job.moveToWait`) for another worker to resume at once — no stall timeout;
 *   - a heartbeat in `{p}:workers`, with what it runs (its queues and GPU adapter);
 *   - WORKER_DEVICES (workers/devices.ts): a BullMQ Worker on `descent-jobs` (cpu), one on
 *     `descent-jobs-gpu` (gpu, WORKER_GPU_CONCURRENCY jobs at once, run on this thread on the
 *     device acquired at start: workers/device-jobs.ts), or both.
 *
 * Only BullMQ's public API: the processor function with its AbortSignal, `cancelJob`,
 * `cancelAllJobs`, `close`, `job.moveToWait` and WaitingError.
 */

export interface StartWorkerOptions {
  logger?: Logger;
  /** Worker id for the heartbeat and logs; default host-pid-random. */
  id?: string;
  /** How long to wait for Redis at start before giving up (default 60 s). */
  readyTimeoutMs?: number;
  /** How webhook hosts are resolved at send time (tests inject one); default: the system's. */
  webhookResolver?: Resolver;
}

export interface RunningWorker {
  id: string;
  /** What it runs: its queues and GPU adapter (as its heartbeat reports them). */
  info: WorkerInfo;
  /** Stops taking jobs, hands running jobs back to the queue, then closes every connection. */
  close(): Promise<void>;
}

export async function startWorker(config: Config, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  if (config.redisUrl === null) throw new Error('REDIS_URL is not set');
  const logger = (options.logger ?? createLogger(config)).child({ component: 'worker' });
  const id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keys = new StoreKeys(config.redisPrefix);
  // First: a worker told to take GPU jobs without a GPU stops at once, before waiting for Redis.
  const { info, gpu } = await setUpDevices(config.workerDevices);

  const redis = createWorkerRedis(config);
  const subscriber: Redis = redis.duplicate({ connectionName: 'descent-worker-cancel' });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
  try {
    await waitUntilReady(redis, options.readyTimeoutMs ?? 60_000);
    await warnIfEvicting(redis, logger);
  } catch (error) {
    gpu?.acquired.device.destroy();
    subscriber.disconnect();
    redis.disconnect();
    throw error;
  }

  const runs = new JobRuns(redis, config.redisPrefix, { finishedTtlSeconds: config.jobTtlSeconds });
  const registry = new WorkerRegistry(redis, config.redisPrefix);

  const threadsStarted = performance.now();
  // A GPU-only worker keeps threads for the `auto` jobs of its queue that run on the CPU.
  const threadCount = info.devices.includes('cpu') ? config.workerConcurrency : config.workerGpuConcurrency;
  // DATASET_CACHE_BYTES is the process's: each run thread's cache, and the GPU path's, get a share.
  const datasetCacheShare = Math.floor(config.datasetCacheBytes / threadCount);
  let threads: RunThreads;
  try {
    threads = await RunThreads.start(
      threadCount,
      {
        redisUrl: config.redisUrl,
        redisPrefix: config.redisPrefix,
        checkpointIntervalMs: config.checkpointIntervalMs,
        inlineParamsMaxDim: config.limits.inlineParamsMaxDim,
        jobTtlSeconds: config.jobTtlSeconds,
        datasetCacheBytes: datasetCacheShare,
      },
      {
        onThreadExit: (error) =>
          logger.error({ err: error }, 'a run thread died: its job failed; replacing it'),
      },
    );
  } catch (error) {
    gpu?.acquired.device.destroy();
    subscriber.disconnect();
    redis.disconnect();
    throw error;
  }
  logger.debug(
    { threads: threads.size, ms: Math.round(performance.now() - threadsStarted) },
    'run threads started',
  );

  let handingBack = false;
  // The GPU path's data sets (model jobs on the device), read on the main thread's connection.
  const gpuDatasets =
    gpu === null ? null : new DatasetCache(new DatasetStore(redis, config.redisPrefix), datasetCacheShare);
  const context = {
    runs,
    checkpointIntervalMs: config.checkpointIntervalMs,
    inlineParamsMaxDim: config.limits.inlineParamsMaxDim,
  };
  const workerOptions: WorkerOptions = {
    connection: redis,
    prefix: config.redisPrefix,
    autorun: false,
    lockDuration: config.workerLockDurationMs,
    stalledInterval: config.workerStalledIntervalMs,
    maxStalledCount: config.workerMaxStalledCount,
    name: id,
  };
  /** One BullMQ Worker per queue this process consumes. */
  const workers = info.devices.map((kind: QueueKind) => {
    const processor = createProcessor({
      context,
      threads,
      handingBack: () => handingBack,
      logger,
      onDevice:
        kind === 'gpu' && gpu !== null && gpuDatasets !== null
          ? deviceJobs(gpu, config.gpuAuto, context, gpuDatasets)
          : undefined,
    });
    const worker = new Worker<QueueJobData, JobOutcome, string>(QUEUE_NAMES[kind], processor, {
      ...workerOptions,
      concurrency: kind === 'gpu' ? config.workerGpuConcurrency : config.workerConcurrency,
    });
    observe(worker);
    return worker;
  });
  /**
   * A job BullMQ gives up on after WORKER_MAX_STALLED_COUNT stalls (its workers kept dying) is not
   * failed by the stall check itself: BullMQ marks it (`job.deferredFailure`) and moves it back to
   * the wait list, and the next worker that takes it fails it without calling the processor. That
   * worker's `failed` event tells the store here, so the record does not stay `running` forever
   * (and stops counting against its tenant's cap).
   */
  async function failGivenUp(jobId: string): Promise<void> {
    const failed = await runs.fail(jobId, {
      code: 'stalled',
      message:
        `the workers running this job stopped ${config.workerMaxStalledCount + 1} times ` +
        '(WORKER_MAX_STALLED_COUNT): it was given up',
    });
    if (failed) logger.error({ jobId }, 'job given up after too many stalls');
  }

  function observe(worker: Worker<QueueJobData, JobOutcome, string>): void {
    worker.on('stalled', (jobId) =>
      logger.warn({ jobId, queue: worker.name }, 'job stalled: its worker stopped'),
    );
    worker.on('active', (job) => logger.debug({ jobId: job.id }, 'job started'));
    worker.on('completed', (job, outcome) => {
      if (outcome.outcome === 'finished') {
        logger.info(
          {
            jobId: job.id,
            queue: worker.name,
            status: outcome.status,
            stopReason: outcome.stopReason,
            iterations: outcome.iterations,
            resumedFrom: outcome.resumedFrom,
          },
          'job finished',
        );
      } else
        logger.info(
          { jobId: job.id, reason: outcome.outcome === 'skipped' ? outcome.reason : null },
          'job skipped',
        );
    });
    worker.on('failed', (job, error) => {
      if (error.name !== 'WaitingError') logger.warn({ jobId: job?.id, err: error }, 'job attempt failed');
      if (job?.id !== undefined && job.deferredFailure) {
        const jobId = job.id;
        failGivenUp(jobId).catch((failure: unknown) =>
          logger.warn({ jobId, err: failure }, 'could not fail a job given up after stalls'),
        );
      }
    });
    worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  }

  subscriber.on('message', (_channel, jobId: string) => {
    for (const worker of workers) {
      if (worker.cancelJob(jobId, CANCEL)) logger.info({ jobId }, 'cancel forwarded to the running job');
    }
  });
  await subscriber.subscribe(keys.cancelChannel);

  const webhooks = startWebhooks({ config, redis, logger, resolver: options.webhookResolver });
  const running = Promise.all(
    workers.map((worker) =>
      worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped')),
    ),
  );
  const beat = () => {
    registry
      .heartbeat(id, Date.now(), info)
      .catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed'));
  };
  beat();
  const heartbeat = setInterval(beat, config.workerHeartbeatMs);

  logger.info(
    {
      workerId: id,
      concurrency: config.workerConcurrency,
      gpuConcurrency: gpu === null ? undefined : config.workerGpuConcurrency,
      queues: info.devices.map((kind) => QUEUE_NAMES[kind]),
      adapter: info.adapter ?? undefined,
      prefix: config.redisPrefix,
    },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  return {
    id,
    info,
    close() {
      closing ??= (async () => {
        logger.info({ workerId: id }, 'worker shutting down: handing running jobs back');
        clearInterval(heartbeat);
        handingBack = true;
        const closed = workers.map((worker) => worker.close());
        for (const worker of workers) worker.cancelAllJobs(HAND_BACK);
        await Promise.all(closed);
        await running;
        await webhooks.close();
        await threads.close();
        // Every run on the device has ended (handed back or finished) once the Workers are closed.
        gpu?.acquired.device.destroy();
        await subscriber.quit().catch(() => subscriber.disconnect());
        await registry.remove(id).catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
        logger.info({ workerId: id }, 'worker closed');
      })();
      return closing;
    },
  };
}
