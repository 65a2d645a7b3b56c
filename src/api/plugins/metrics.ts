import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { consumes, type QueueKind } from '../../queue/routing.ts';

/**
 * Prometheus metrics (GET /metrics). Each app has its own registry (several apps may share a
 * process in tests).
 *
 * - `descent_jobs{state="queued"|"running"}` and `descent_queue_jobs{state}`: BullMQ job counts,
 *   read from Redis at scrape time, both queues together; `descent_queue_depth`: jobs waiting for a
 *   worker; `descent_queue_depth_by_queue{queue="cpu"|"gpu"}`: the same by queue.
 * - `descent_workers{device="cpu"|"gpu",adapter,software}`: workers seen within
 *   WORKER_SEEN_WITHIN_MS by the queue they consume (a worker taking both counts in both), GPU
 *   workers by adapter.
 * - `descent_jobs_submitted_total`, `descent_jobs_finished_total{status}`: finished jobs are
 *   seen on the `{p}:finished` channel (completed, cancelled or failed; see plugins/queue.ts),
 *   a job cancelled while queued by the cancel route.
 * - `descent_job_run_duration_seconds{status}`: the run's wall time (result.wallMs).
 * - `descent_job_iterations_total` (rate() of it is iterations/s across the fleet) and
 *   `descent_job_iterations_per_second` (per run).
 * - `descent_sse_subscribers`, `descent_sse_feeds`, `descent_sse_dropped_total`.
 * - `descent_http_request_duration_seconds{method,route,status}` and the process defaults.
 */
export interface ApiMetrics {
  registry: Registry;
  jobsSubmitted: Counter;
  jobsFinished: Counter<'status'>;
  runDuration: Histogram<'status'>;
  iterations: Counter;
  iterationsPerSecond: Histogram;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

async function metricsPlugin(app: FastifyInstance) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const jobsSubmitted = new Counter({
    name: 'descent_jobs_submitted_total',
    help: 'Jobs accepted by POST /v1/jobs (idempotent replays not counted).',
    registers,
  });
  const jobsFinished = new Counter({
    name: 'descent_jobs_finished_total',
    help: 'Jobs finished, by final status.',
    labelNames: ['status'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: 'descent_job_run_duration_seconds',
    help: 'Wall time of finished runs.',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600],
    registers,
  });
  const iterations = new Counter({
    name: 'descent_job_iterations_total',
    help: 'Optimizer iterations of finished runs; rate() gives iterations per second.',
    registers,
  });
  const iterationsPerSecond = new Histogram({
    name: 'descent_job_iterations_per_second',
    help: 'Iterations per second of each finished run.',
    buckets: [10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'descent_http_request_duration_seconds',
    help: 'HTTP request durations (event streams excluded).',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });

  new Gauge({
    name: 'descent_sse_subscribers',
    help: 'Open event streams (GET /v1/jobs/{id}/events).',
    registers,
    collect() {
      this.set(app.hasDecorator('sseHub') ? app.sseHub.subscriberCount : 0);
    },
  });
  new Gauge({
    name: 'descent_sse_feeds',
    help: 'Jobs with a live event reader (one Redis reader per watched job).',
    registers,
    collect() {
      this.set(app.hasDecorator('sseHub') ? app.sseHub.feedCount : 0);
    },
  });
  let droppedSeen = 0;
  new Counter({
    name: 'descent_sse_dropped_total',
    help: 'Event-stream clients dropped for falling too far behind.',
    registers,
    collect() {
      const dropped = app.hasDecorator('sseHub') ? app.sseHub.dropped : 0;
      if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
      droppedSeen = dropped;
    },
  });

  // One getJobCounts per scrape, shared by the three queue gauges: a scrape starts every
  // collect in the same tick, so they all find the request in flight.
  let pendingCounts: Promise<Record<string, number> | null> | null = null;
  const queueCounts = () => {
    pendingCounts ??= app.jobQueue
      .counts()
      // Redis down: the queue gauges are left out of this scrape rather than failing it.
      .catch(() => null)
      .finally(() => {
        pendingCounts = null;
      });
    return pendingCounts;
  };
  const queued = (counts: Record<string, number>) =>
    (counts.waiting ?? 0) +
    (counts.delayed ?? 0) +
    (counts.prioritized ?? 0) +
    (counts['waiting-children'] ?? 0);

  new Gauge({
    name: 'descent_queue_jobs',
    help: 'BullMQ jobs by queue state.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const counts = await queueCounts();
      if (counts === null) return;
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'descent_jobs',
    help: 'Jobs by state: queued (waiting for a worker) and running.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const counts = await queueCounts();
      if (counts === null) return;
      this.set({ state: 'queued' }, queued(counts));
      this.set({ state: 'running' }, counts.active ?? 0);
    },
  });
  new Gauge({
    name: 'descent_queue_depth',
    help: 'Jobs waiting for a worker.',
    registers,
    async collect() {
      const counts = await queueCounts();
      if (counts !== null) this.set(queued(counts));
    },
  });

  new Gauge({
    name: 'descent_queue_depth_by_queue',
    help: 'Jobs waiting for a worker, by queue: cpu (descent-jobs) or gpu (descent-jobs-gpu).',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      const byQueue = await app.jobQueue.countsByQueue().catch(() => null);
      if (byQueue === null) return;
      for (const queue of Object.keys(byQueue) as QueueKind[]) this.set({ queue }, queued(byQueue[queue]));
    },
  });
  new Gauge({
    name: 'descent_workers',
    help: 'Workers seen recently, by the queue they consume (device) and, for GPU workers, their adapter.',
    labelNames: ['device', 'adapter', 'software'] as const,
    registers,
    async collect() {
      const workers = await app.workerRegistry.seen(app.config.workerSeenWithinMs).catch(() => null);
      if (workers === null) return;
      this.reset();
      this.set(
        { device: 'cpu', adapter: '', software: '' },
        workers.filter((w) => consumes(w, 'cpu')).length,
      );
      for (const worker of workers) {
        if (!consumes(worker, 'gpu')) continue;
        this.inc({ device: 'gpu', adapter: worker.adapter ?? '', software: String(worker.software) });
      }
    },
  });

  app.jobQueue.onFinished((job) => {
    jobsFinished.inc({ status: job.status });
    if (job.wallMs === null || job.iterations === null) return;
    const seconds = job.wallMs / 1000;
    runDuration.observe({ status: job.status }, seconds);
    iterations.inc(job.iterations);
    if (seconds > 0) iterationsPerSecond.observe(job.iterations / seconds);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined) return;
    httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.decorate('metrics', {
    registry,
    jobsSubmitted,
    jobsFinished,
    runDuration,
    iterations,
    iterationsPerSecond,
  });
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['queue', 'redis'] });
