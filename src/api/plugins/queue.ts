import type { JobType } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { type AutoDeviceRule, autoWantsDevice } from '../../core/backends/device-choice.ts';
import type { JobSpec } from '../../core/spec.ts';
import {
  type JobQueue as BullQueue,
  createJobQueue,
  enqueueJob,
  enqueueJobs,
  fairPriority,
} from '../../queue/job-queue.ts';
import { QUEUE_NAMES, type QueueKind, routeJob, waitingFor } from '../../queue/routing.ts';
import { createWorkerRedis } from '../../redis/connection.ts';
import type { FinishedJob, JobRecord } from '../../store/contract.ts';
import { StoreKeys } from '../../store/keys.ts';
import type { SeenWorker, WorkerRegistry } from '../../store/workers.ts';

export type FinishedListener = (job: FinishedJob) => void;

/** What routing needs: the worker registry, the `auto` rule, and how recent a heartbeat counts. */
export interface RoutingOptions {
  registry: WorkerRegistry;
  rule: AutoDeviceRule;
  /** WORKER_SEEN_WITHIN_MS. */
  seenWithinMs: number;
  /** How long one read of the registry serves routing and `waitingFor` (a batch of submits reads it once). */
  snapshotMs: number;
}

const COUNTED_STATES: JobType[] = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
];

/**
 * The API's side of the queue: enqueue, dequeue a cancelled or deleted job, counts for metrics,
 * and finished-job notifications (for run metrics). The BullMQ Queue is created on first use, so
 * an app built without Redis (the OpenAPI generator) opens no connection.
 *
 * Order on submit (POST /v1/jobs): the job record is written first (JobSubmissions.create), then
 * the job is enqueued, then the 202 goes out. An acknowledged job is therefore both stored and
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
 *
 * Two BullMQ queues: the CPU one and the GPU one (src/queue/routing.ts decides, from the spec's
 * `device` and, for a large `auto` spec, the GPU workers seen recently).
 */
export class JobQueue {
  private readonly queues: Partial<Record<QueueKind, BullQueue>> = {};
  private subscriber: Redis | null = null;
  private readonly listeners = new Set<FinishedListener>();
  private snapshot: { at: number; workers: Promise<SeenWorker[]> } | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly routing?: RoutingOptions,
  ) {}

  private bull(kind: QueueKind = 'cpu'): BullQueue {
    let queue = this.queues[kind];
    if (queue === undefined) {
      queue = createJobQueue(this.connection, this.prefix, QUEUE_NAMES[kind]);
      // The queue shares the API's connection, whose errors the redis plugin already logs;
      // without a listener BullMQ prints each reconnect attempt raw to stderr.
      queue.on('error', () => {});
      this.queues[kind] = queue;
    }
    return queue;
  }

  /**
   * Adds the job to its queue (src/queue/routing.ts; options and payload of src/queue/job-queue.ts:
   * `spec`, the record's, goes along for a small run), with the fair-order priority of its
   * `position` among its tenant's active jobs; a second add of the same id is a no-op. An `auto`
   * job that may go to either queue is first looked for in the other one, so a replayed submit
   * never queues it twice when the GPU workers came or went in between. Resolves to the queue.
   */
  async enqueue(jobId: string, spec?: JobSpec, position = 0): Promise<QueueKind> {
    const kind = await this.route(spec);
    if (spec?.device === 'auto' && this.routing !== undefined && autoWantsDevice(spec, this.routing.rule)) {
      const other: QueueKind = kind === 'gpu' ? 'cpu' : 'gpu';
      if ((await this.bull(other).getJob(jobId)) !== undefined) return other;
    }
    await enqueueJob(this.bull(kind), jobId, spec, fairPriority(position));
    return kind;
  }

  /**
   * Adds new jobs (a batch, a comparison's members) with one addBulk per queue they route to, in
   * fair order from `position`: job k takes position + k (src/queue/job-queue.ts).
   */
  async enqueueMany(jobs: readonly { id: string; spec?: JobSpec }[], position: number): Promise<void> {
    const byKind: Record<QueueKind, { id: string; spec?: JobSpec; position: number }[]> = {
      cpu: [],
      gpu: [],
    };
    for (let k = 0; k < jobs.length; k++) {
      byKind[await this.route(jobs[k].spec)].push({ ...jobs[k], position: position + k });
    }
    await Promise.all(
      (Object.keys(byKind) as QueueKind[])
        .filter((kind) => byKind[kind].length > 0)
        .map((kind) => enqueueJobs(this.bull(kind), byKind[kind])),
    );
  }

  /** The queue a spec goes to (the CPU one when routing is off or the spec is unknown). */
  private route(spec: JobSpec | undefined): Promise<QueueKind> | QueueKind {
    const routing = this.routing;
    if (spec === undefined || routing === undefined) return 'cpu';
    return routeJob(spec, routing.rule, () => this.workersSeen());
  }

  /** Removes a job that has not started (cancelled while queued, or deleted) from either queue; a no-op otherwise. */
  async discard(jobId: string): Promise<void> {
    const kinds: QueueKind[] = this.routing === undefined ? ['cpu'] : ['cpu', 'gpu'];
    await Promise.all(
      kinds.map(async (kind) => {
        try {
          await this.bull(kind).remove(jobId);
        } catch {
          // Locked by a worker (it is running): the worker finishes or cancels it.
        }
      }),
    );
  }

  /** BullMQ job counts by state (waiting, active, delayed, prioritized, waiting-children, completed, failed), both queues together. */
  async counts(): Promise<Record<string, number>> {
    const byQueue = await this.countsByQueue();
    const total: Record<string, number> = {};
    for (const counts of Object.values(byQueue)) {
      for (const [state, count] of Object.entries(counts)) total[state] = (total[state] ?? 0) + count;
    }
    return total;
  }

  /** BullMQ job counts by queue, then state. */
  async countsByQueue(): Promise<Record<QueueKind, Record<string, number>>> {
    const [cpu, gpu] = await Promise.all([
      this.bull('cpu').getJobCounts(...COUNTED_STATES),
      this.routing === undefined ? Promise.resolve({}) : this.bull('gpu').getJobCounts(...COUNTED_STATES),
    ]);
    return { cpu, gpu };
  }

  /**
   * What a queued job waits for when no worker that can run it was seen recently (see
   * Job.waitingFor), else null. An `auto` job that may be in either queue is looked up in the GPU one.
   */
  async waitingFor(record: JobRecord): Promise<string | null> {
    const routing = this.routing;
    if (routing === undefined || record.status !== 'queued' || record.cancelRequested) return null;
    const spec = record.spec;
    let kind: QueueKind = spec.device === 'gpu' ? 'gpu' : 'cpu';
    if (spec.device === 'auto' && autoWantsDevice(spec, routing.rule)) {
      if ((await this.bull('gpu').getJob(record.id)) !== undefined) kind = 'gpu';
    }
    return waitingFor(kind, await this.workersSeen(), routing.seenWithinMs);
  }

  /** The workers seen within WORKER_SEEN_WITHIN_MS, read at most once per `snapshotMs`. */
  private workersSeen(): Promise<SeenWorker[]> {
    const routing = this.routing;
    if (routing === undefined) return Promise.resolve([]);
    const now = Date.now();
    if (this.snapshot === null || now - this.snapshot.at >= routing.snapshotMs) {
      const workers = routing.registry.seen(routing.seenWithinMs, now);
      // A failed read is not kept: the next call reads again.
      workers.catch(() => {
        if (this.snapshot?.workers === workers) this.snapshot = null;
      });
      this.snapshot = { at: now, workers };
    }
    return this.snapshot.workers;
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
    await Promise.allSettled(Object.values(this.queues).map((queue) => queue.close()));
    this.subscriber?.disconnect();
    this.queues.cpu = undefined;
    this.queues.gpu = undefined;
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
  const { config } = app;
  const jobQueue = new JobQueue(app.redis, config.redisPrefix, {
    registry: app.workerRegistry,
    rule: config.gpuAuto,
    seenWithinMs: config.workerSeenWithinMs,
    snapshotMs: Math.min(1000, config.workerHeartbeatMs),
  });
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
