import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { type JobQueue as BullQueue, createJobQueue, enqueueJob, QUEUE_NAME } from '../../workers/queue.ts';
import { createWorkerRedis } from '../redis.ts';

export type FinishedListener = (jobId: string, outcome: 'completed' | 'failed') => void;

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
 */
export class JobQueue {
  private queue: BullQueue | null = null;
  private events: QueueEvents | null = null;
  private eventsConnection: Redis | null = null;
  private readonly listeners = new Set<FinishedListener>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  private get bull(): BullQueue {
    this.queue ??= createJobQueue(this.connection, this.prefix);
    return this.queue;
  }

  /** Adds the job (options of workers/queue.ts); a second add of the same id is a no-op. */
  async enqueue(jobId: string): Promise<void> {
    await enqueueJob(this.bull, jobId);
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
   * Calls `listener` when a worker completes or fails a job (BullMQ events stream, its own
   * blocking connection). Started by the app once it is ready, when Redis is configured.
   */
  onFinished(listener: FinishedListener): void {
    this.listeners.add(listener);
  }

  startEvents(eventsConnection: Redis): void {
    if (this.events !== null) return;
    this.eventsConnection = eventsConnection;
    this.events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection, prefix: this.prefix });
    this.events.on('error', () => {});
    this.events.on('completed', ({ jobId }) => this.emit(jobId, 'completed'));
    this.events.on('failed', ({ jobId }) => this.emit(jobId, 'failed'));
  }

  private emit(jobId: string, outcome: 'completed' | 'failed'): void {
    for (const listener of this.listeners) listener(jobId, outcome);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue?.close(), this.events?.close()]);
    this.eventsConnection?.disconnect();
    this.queue = null;
    this.events = null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    jobQueue: JobQueue;
  }
}

export interface QueuePluginOptions {
  /** Follow the queue's events for run metrics (a blocking connection). Default: when REDIS_URL is set. */
  queueEvents?: boolean;
}

async function queuePlugin(app: FastifyInstance, options: QueuePluginOptions) {
  const jobQueue = new JobQueue(app.redis, app.config.redisPrefix);
  app.decorate('jobQueue', jobQueue);
  const followEvents = options.queueEvents ?? app.config.redisUrl !== null;
  if (followEvents) {
    app.addHook('onReady', async () => {
      jobQueue.startEvents(createWorkerRedis(app.config, { connectionName: 'descent-api-events' }));
    });
  }
  app.addHook('onClose', async () => jobQueue.close());
}

export default fp(queuePlugin, { name: 'queue', dependencies: ['config', 'redis'] });
