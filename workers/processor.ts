import { type Job, type Processor, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import type { QueueJobData } from '../src/queue/job-queue.ts';
import { HAND_BACK, JobLife, type JobOutcome, type LifeContext } from './job-life.ts';
import type { RunThreads } from './run-threads.ts';

/**
 * The BullMQ processor of `descent-jobs`: a plain function on the worker's main thread (BullMQ's
 * public API only: the processor, its AbortSignal, `job.moveToWait` and WaitingError). It routes
 * each job through its JobLife: the first slice here (`finishInline`, which finishes most tiny
 * jobs), then, when the run goes on, a run thread (`RunThreads.run`, with the signal forwarded).
 *
 *   - Hand-back: a job that ends `handed_back` (the worker is closing: its thread stored a
 *     checkpoint) is moved straight back to the wait list for another worker to resume at once,
 *     without waiting for a stall check; so is a job fetched while closing, untouched.
 *   - A processor error on the job's last attempt marks the job failed in the store (JobLife.fail);
 *     earlier attempts are retried by BullMQ.
 *   - On a GPU worker's GPU queue (`onDevice`, workers/device-jobs.ts) a job that belongs on the
 *     device runs there, on this thread; one that does not (an `auto` job this worker's adapter
 *     should not take) goes the CPU way above.
 */

export type OptimizationJob = Job<QueueJobData, JobOutcome, string>;

export interface ProcessorOptions {
  /** The main thread's stores (the connection BullMQ's own commands share). */
  context: LifeContext;
  threads: RunThreads;
  /** True once the worker is closing: running jobs are handed back, new ones given back. */
  handingBack(): boolean;
  logger: Logger;
  /** The GPU queue's: runs the job on the device when it belongs there; null hands it to the CPU path. */
  onDevice?: (job: OptimizationJob, signal?: AbortSignal) => Promise<JobOutcome | null>;
}

export function createProcessor(options: ProcessorOptions): Processor<QueueJobData, JobOutcome, string> {
  const { context, threads, handingBack, logger, onDevice } = options;

  /** The job's life up to its outcome on this worker. */
  async function live(life: JobLife, job: OptimizationJob, signal?: AbortSignal): Promise<JobOutcome> {
    const onTheDevice = onDevice ? await onDevice(job, signal) : null;
    if (onTheDevice !== null) return onTheDevice;
    const inline = await life.finishInline(job.data.spec, job.attemptsStarted === 1);
    if (inline.outcome === 'storing') {
      inline.stored.then(
        (stored) => {
          if (stored !== 'finished') logger.debug({ jobId: job.id, stored }, 'finished run not recorded');
        },
        (error: unknown) => {
          logger.error({ jobId: job.id, err: error }, 'job failed');
          life.fail(error as Error).catch(() => undefined);
        },
      );
      return inline.finished;
    }
    if (inline.outcome !== 'to_thread') return inline;
    // Closing: a first slice not done is not stored; the next worker starts the job as it was.
    if (handingBack() || signal?.reason === HAND_BACK) {
      return { outcome: 'handed_back', iteration: null, resumedFrom: null };
    }
    return threads.run(inline.handover, signal);
  }

  // Three parameters: BullMQ gives a processor that declares the signal an AbortSignal per job.
  return async (job: OptimizationJob, token?: string, signal?: AbortSignal) => {
    let outcome: JobOutcome;
    if (handingBack()) {
      outcome = { outcome: 'handed_back', iteration: null, resumedFrom: null };
    } else {
      const life = new JobLife(job.data.jobId ?? job.id ?? '', context, signal);
      try {
        outcome = await live(life, job, signal);
      } catch (error) {
        const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (finalAttempt && !handingBack()) {
          logger.error({ jobId: job.id, err: error }, 'job failed');
          await life.fail(error as Error);
        }
        throw error;
      }
    }
    if (outcome.outcome === 'handed_back') {
      await job.moveToWait(token);
      logger.info({ jobId: job.id, iteration: outcome.iteration }, 'job handed back to the queue');
      throw new WaitingError();
    }
    return outcome;
  };
}
