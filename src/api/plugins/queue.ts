import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { JobSpec } from '../../core/spec.ts';
import {
  type JobQueue as BullQueue,
  createJobQueue,
  enqueueJob,
  enqueueJobs,
  fairPriority,
} from '../../queue/job-queue.ts';
import { createWorkerRedis } from '../../redis/connection.ts';
import type { FinishedJob } from '../../store/contract.ts';
import { StoreKeys } from '../../store/keys.ts';

export type FinishedListener = (job: FinishedJob) => void;

/**
 * The API's side of the queue: enqueue, dequeue a cancelled or deleted job, counts for metrics,
 * and finished-job notifications (for run metrics). The BullMQ Queue is created on first use, so
 * an app built without Redis (the OpenAPI generator) opens no connection.
 *
 * Order on submit (POST /v1/jobs): the job record is written first (JobStore.create), then the
 * job is enqueued, then the 202 goes out. An acknowledged job is therefore both stored and
 * queued. A failure between the two steps leaves a `queued` record without a queue entry and
 * answers 503: the client's retry with the same Idempotency-Key finds the record and enqueues it
 * again (an add with an existing BullMQ job id is a no-op, so enqueueing twice runs it once);
 * without a key, the route marks the orphan record failed when Redis allows it.
 *
 * Finished jobs are announced on the `{p}:finished` channel by the store's finishing scripts
 * (one small JSON message per job, with its status, iterations and wall time). This replaced
 * following BullMQ's event stream (QueueEvents) plus reading each completed job's record: that
 * parsed about five stream events per job and did an HGETALL per completion, ~0.2 ms of API CPU
 * per tiny job (profiled), as much as a third of what serving its POST costs.
 */
export class JobQueue {
  private queue: BullQueue | null = null;
  private subscriber: Redis | null = null;
  private readonly listeners = new Set<FinishedListener>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  private get bull(): BullQueue {
    if (this.queue === null) {
      this.queue = createJobQueue(this.connection, this.prefix);
      // The queue shares the API's connection, whose errors the redis plugin already logs;
      // without a listener BullMQ prints each reconnect attempt raw to stderr.
      this.queue.on('error', () => {});
    }
    return this.queue;
  }

  /**
   * Adds the job (options and payload of src/queue/job-queue.ts: `spec`, the record's, goes along for
   * a small run); a second add of the same id is a no-op.
   */
  async enqueue(jobId: string, spec?: JobSpec, position = 0): Promise<void> {
    await enqueueJob(this.bull, jobId, spec, fairPriority(position));
  }

  /** Adds jobs in one round trip (addBulk), in fair order from `position` (src/queue/job-queue.ts). */
  async enqueueMany(jobs: readonly { id: string; spec?: JobSpec }[], position: number): Promise<void> {
    await enqueueJobs(this.bull, jobs, position);
  }

  /** Removes a job that has not started (cancelled while queued, or deleted); a no-op otherwise. */
  async discard(jobId: string): Promise<void> {
    try {
      await this.bull.remove(jobId);
    } catch {
      // Locked by a worker (it is running): the worker finishes or cancels it.
    }
  }

  /** BullMQ job counts by state (waiting, active, delayed, prioritized, waiting-children, completed, failed). */
  async counts(): Promise<Record<string, number>> {
    return this.bull.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'waiting-children',
      'completed',
      'failed',
    );
  }

  /**
   * Calls `listener` when a job finishes (completed, cancelled while running, or failed), from
   * the `{p}:finished` channel. Started by the app once it is ready, when Redis is configured.
   */
  onFinished(listener: FinishedListener): void {
    this.listeners.add(listener);
  }

  /** Subscribes `subscriber` (a connection of its own, left in subscriber mode) to finished jobs. */
  startEvents(subscriber: Redis): void {
    if (this.subscriber !== null) return;
    this.subscriber = subscriber;
    const channel = new StoreKeys(this.prefix).finishedChannel;
    subscriber.on('error', () => {});
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      let job: FinishedJob;
      try {
        job = JSON.parse(message) as FinishedJob;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(job);
    });
    subscriber.subscribe(channel).catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue?.close()]);
    this.subscriber?.disconnect();
    this.queue = null;
    this.subscriber = null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    jobQueue: JobQueue;
  }
}

export interface QueuePluginOptions {
  /** Follow finished-job notifications for run metrics (a subscriber connection). Default: when REDIS_URL is set. */
  queueEvents?: boolean;
}

async function queuePlugin(app: FastifyInstance, options: QueuePluginOptions) {
  const jobQueue = new JobQueue(app.redis, app.config.redisPrefix);
  app.decorate('jobQueue', jobQueue);
  const followEvents = options.queueEvents ?? app.config.redisUrl !== null;
  if (followEvents) {
    app.addHook('onReady', async () => {
      jobQueue.startEvents(createWorkerRedis(app.config, { connectionName: 'descent-api-finished' }));
    });
  }
  app.addHook('onClose', async () => jobQueue.close());
}

export default fp(queuePlugin, { name: 'queue', dependencies: ['config', 'redis'] });
