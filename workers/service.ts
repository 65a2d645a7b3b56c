import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Job, type Processor, WaitingError, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { QUEUE_NAME, type QueueJobData } from '../src/queue/job-queue.ts';
import { createWorkerRedis, waitUntilReady, warnIfEvicting } from '../src/redis/connection.ts';
import { JobStore } from '../src/store/jobs.ts';
import { StoreKeys } from '../src/store/keys.ts';
import { TrajectoryStore } from '../src/store/trajectory.ts';
import { WorkerRegistry } from '../src/store/workers.ts';
import { CANCEL, type DriveOutcome, driveFirstSlice, type FirstSliceOutcome, HAND_BACK } from './drive.ts';
import type { ThreadSettings } from './processor.ts';
import { threadExecArgv } from './thread-exec-argv.ts';

/**
 * A worker: a BullMQ Worker on `descent-jobs` whose jobs start on its main thread (a small
 * run's first slice of at most 5 ms, which finishes most tiny jobs: drive.ts, driveFirstSlice)
 * and otherwise run on worker threads (BullMQ's sandbox with useWorkerThreads; the thread side
 * is processor.ts), plus what the service needs around it:
 *
 *   - cancel: `{p}:cancel` pub/sub → `worker.cancelJob(id)` → the job's thread stops its run
 *     at the next slice boundary (~20 ms);
 *   - hand-back on close (SIGTERM): stop taking jobs, abort running ones with HAND_BACK so each
 *     thread flushes its points and writes a checkpoint, then move each job straight back to
 *     the wait list (`job.moveToWait`) for another worker to resume at once — no stall timeout;
 *   - a heartbeat in `{p}:workers`;
 *   - a job whose processor fails on its last attempt is marked `failed` in the store.
 */

export const PROCESSOR_FILE = fileURLToPath(new URL('./processor-entry.mjs', import.meta.url));

export interface StartWorkerOptions {
  logger?: Logger;
  /** Worker id for the heartbeat and logs; default host-pid-random. */
  id?: string;
  /** How long to wait for Redis at start before giving up (default 60 s). */
  readyTimeoutMs?: number;
}

export interface RunningWorker {
  id: string;
  /** Stops taking jobs, hands running jobs back to the queue, then closes every connection. */
  close(): Promise<void>;
}

type OptimizationJob = Job<QueueJobData, DriveOutcome, string>;

interface ChildPoolLike {
  retain(processFile: string): Promise<unknown>;
  release(child: unknown): void;
}

/**
 * A BullMQ Worker whose sandboxed processor is wrapped: the first slice on the main thread, then
 * (when the run is not done) the sandbox; and a hand-back on shutdown.
 */
class OptimizationWorker extends Worker<QueueJobData, DriveOutcome, string> {
  handingBack = false;
  /** A job's first slice on this (the main) thread; null: every job goes straight to a thread. */
  firstSlice:
    | ((
        job: OptimizationJob,
        signal?: AbortSignal,
      ) => Promise<Exclude<FirstSliceOutcome, { outcome: 'storing' }>>)
    | null = null;
  onHandBack: (job: OptimizationJob, outcome: DriveOutcome | null) => void = () => undefined;
  onFinalFailure: (job: OptimizationJob, error: Error) => Promise<void> = async () => undefined;

  /**
   * Starts `count` processor threads ahead of the first job, so neither a first job nor one
   * handed over by a stopping worker waits for a thread to start and compile the core. Uses
   * BullMQ's child pool (internal, pinned version); without it, threads start on demand.
   */
  async warmUp(processorFile: string, count: number): Promise<number> {
    const pool = (this as unknown as { childPool?: ChildPoolLike }).childPool;
    if (!pool || typeof pool.retain !== 'function' || typeof pool.release !== 'function') return 0;
    const children = await Promise.all(Array.from({ length: count }, () => pool.retain(processorFile)));
    for (const child of children) pool.release(child);
    return children.length;
  }

  protected override createSandbox(
    processor: string | URL | null | Processor<QueueJobData, DriveOutcome, string>,
  ): void {
    super.createSandbox(processor);
    const sandboxed = this.processFn;
    const wrapped: Processor<QueueJobData, DriveOutcome, string> = async (job, token, signal) => {
      if (this.handingBack) {
        // Fetched while shutting down: give it straight back without starting it.
        await job.moveToWait(token);
        this.onHandBack(job, null);
        throw new WaitingError();
      }
      let outcome: DriveOutcome;
      try {
        const first = this.firstSlice === null ? null : await this.firstSlice(job, signal);
        if (first !== null && first.outcome !== 'unfinished') return first;
        if (first !== null && (this.handingBack || signal?.reason === HAND_BACK)) {
          // Shutting down after the first slice: its checkpoint is stored; the next worker resumes.
          outcome = {
            outcome: 'handed_back',
            iteration: first.iteration ?? 0,
            resumedFrom: first.resumedFrom,
          };
        } else {
          outcome = await sandboxed(job, token, signal);
        }
      } catch (error) {
        const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (finalAttempt && !this.handingBack) await this.onFinalFailure(job, error as Error);
        throw error;
      }
      if (outcome.outcome === 'handed_back') {
        await job.moveToWait(token);
        this.onHandBack(job, outcome);
        throw new WaitingError();
      }
      return outcome;
    };
    this.processFn = wrapped;
  }
}

export async function startWorker(config: Config, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  if (config.redisUrl === null) throw new Error('REDIS_URL is not set');
  const logger = (options.logger ?? createLogger(config)).child({ component: 'worker' });
  const id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keys = new StoreKeys(config.redisPrefix);

  const redis = createWorkerRedis(config);
  const subscriber: Redis = redis.duplicate({ connectionName: 'descent-worker-cancel' });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
  await waitUntilReady(redis, options.readyTimeoutMs ?? 60_000);
  await warnIfEvicting(redis, logger);

  const jobs = new JobStore(redis, config.redisPrefix, { finishedTtlSeconds: config.jobTtlSeconds });
  const registry = new WorkerRegistry(redis, config.redisPrefix);
  const settings: ThreadSettings = {
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    checkpointIntervalMs: config.checkpointIntervalMs,
    inlineParamsMaxDim: config.limits.inlineParamsMaxDim,
    jobTtlSeconds: config.jobTtlSeconds,
  };
  const threadArgv = await threadExecArgv();
  if (threadArgv.dropped.length > 0) {
    logger.warn(
      { dropped: threadArgv.dropped },
      'node options a worker thread refuses are left out of the processor threads (V8 options still apply to them)',
    );
  }
  const workerOptions: WorkerOptions = {
    connection: redis,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    autorun: false,
    useWorkerThreads: true,
    workerThreadsOptions: {
      workerData: { settings },
      ...(threadArgv.execArgv === null ? {} : { execArgv: threadArgv.execArgv }),
    },
    lockDuration: config.workerLockDurationMs,
    stalledInterval: config.workerStalledIntervalMs,
    maxStalledCount: config.workerMaxStalledCount,
    name: id,
  };
  const worker = new OptimizationWorker(QUEUE_NAME, PROCESSOR_FILE, workerOptions);
  const trajectories = new TrajectoryStore(redis, config.redisPrefix);
  worker.firstSlice = async (job, signal) => {
    const first = await driveFirstSlice({
      jobId: job.data.jobId ?? job.id,
      spec: job.data.spec,
      jobs,
      trajectories,
      checkpointIntervalMs: config.checkpointIntervalMs,
      inlineParamsMaxDim: config.limits.inlineParamsMaxDim,
      signal,
      detached: job.attemptsStarted === 1,
    });
    if (first.outcome !== 'storing') return first;
    first.stored.then(
      (stored) => {
        if (stored !== 'finished') logger.debug({ jobId: job.id, stored }, 'finished run not recorded');
      },
      (error: unknown) => void worker.onFinalFailure(job, error as Error).catch(() => undefined),
    );
    return first.finished;
  };

  worker.onHandBack = (job, outcome) => {
    logger.info(
      { jobId: job.id, iteration: outcome?.outcome === 'handed_back' ? outcome.iteration : null },
      'job handed back to the queue',
    );
  };
  worker.onFinalFailure = async (job, error) => {
    logger.error({ jobId: job.id, err: error }, 'job failed');
    await jobs.fail(job.data.jobId ?? job.id, {
      code: 'worker_error',
      message: error.message || String(error),
    });
  };
  worker.on('active', (job) => logger.debug({ jobId: job.id }, 'job started'));
  worker.on('completed', (job, outcome) => {
    if (outcome.outcome === 'finished') {
      logger.info(
        {
          jobId: job.id,
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
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  subscriber.on('message', (_channel, jobId: string) => {
    if (worker.cancelJob(jobId, CANCEL)) logger.info({ jobId }, 'cancel forwarded to the running job');
  });
  await subscriber.subscribe(keys.cancelChannel);

  const warmStarted = performance.now();
  try {
    const threads = await worker.warmUp(PROCESSOR_FILE, config.workerConcurrency);
    logger.debug({ threads, ms: Math.round(performance.now() - warmStarted) }, 'processor threads started');
  } catch (error) {
    logger.warn({ err: error }, 'could not start processor threads ahead of jobs; they start on demand');
  }
  const running = worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped'));
  const beat = () => {
    registry.heartbeat(id).catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed'));
  };
  beat();
  const heartbeat = setInterval(beat, config.workerHeartbeatMs);

  logger.info(
    { workerId: id, concurrency: config.workerConcurrency, queue: QUEUE_NAME, prefix: config.redisPrefix },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  return {
    id,
    close() {
      closing ??= (async () => {
        logger.info({ workerId: id }, 'worker shutting down: handing running jobs back');
        clearInterval(heartbeat);
        worker.handingBack = true;
        const closed = worker.close();
        worker.cancelAllJobs(HAND_BACK);
        await closed;
        await running;
        await subscriber.quit().catch(() => subscriber.disconnect());
        await registry.remove(id).catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
        logger.info({ workerId: id }, 'worker closed');
      })();
      return closing;
    },
  };
}
