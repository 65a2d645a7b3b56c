import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consumes } from '../../queue/routing.ts';
import { livenessSchema, readinessSchema } from '../../schemas/health.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import type { SeenWorker } from '../../store/workers.ts';
import { serviceUnavailable } from '../plugins/error-handler.ts';

/** The distinct GPU adapters of the GPU workers, with how many workers have each. */
function adaptersOf(
  workers: readonly SeenWorker[],
): { adapter: string; software: boolean; workers: number }[] {
  const byAdapter = new Map<string, { adapter: string; software: boolean; workers: number }>();
  for (const worker of workers) {
    if (!consumes(worker, 'gpu') || worker.adapter === null) continue;
    const entry = byAdapter.get(worker.adapter) ?? {
      adapter: worker.adapter,
      software: worker.software,
      workers: 0,
    };
    entry.workers++;
    byAdapter.set(worker.adapter, entry);
  }
  return [...byAdapter.values()];
}

/** GET /healthz (liveness), GET /readyz (readiness), GET /metrics (Prometheus). */
export default async function healthRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getHealth',
        security: [],
        summary: 'Liveness',
        description: 'The process serves HTTP. Says nothing about Redis or workers (see /readyz).',
        response: { 200: jsonResponse(livenessSchema, 'The process is alive.') },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        security: [],
        summary: 'Readiness',
        description:
          'Ready when Redis answers PING and a worker heartbeat is at most WORKER_SEEN_WITHIN_MS old; else 503. ' +
          'Reports the workers by queue (cpu, gpu) and the GPU adapters of the GPU workers.',
        response: {
          200: jsonResponse(readinessSchema, 'Redis answers and a worker was seen recently.'),
          ...problemResponses(503),
        },
      },
    },
    async () => {
      if (app.redis.status !== 'ready') throw serviceUnavailable('Redis is unreachable');
      await app.redis.ping();
      const now = Date.now();
      const [lastSeen, alive] = await Promise.all([
        app.workerRegistry.lastSeen(),
        app.workerRegistry.seen(app.config.workerSeenWithinMs, now),
      ]);
      if (lastSeen === null || alive.length === 0) {
        const ago =
          lastSeen === null ? 'no worker has been seen' : `the last worker was seen ${now - lastSeen} ms ago`;
        throw serviceUnavailable(`no worker seen within ${app.config.workerSeenWithinMs} ms (${ago})`, 5);
      }
      return {
        status: 'ready' as const,
        redis: 'ok' as const,
        lastWorkerSeenMs: Math.max(0, now - lastSeen),
        workers: alive.length,
        devices: {
          cpu: alive.filter((worker) => consumes(worker, 'cpu')).length,
          gpu: alive.filter((worker) => consumes(worker, 'gpu')).length,
        },
        adapters: adaptersOf(alive),
      };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        security: [],
        summary: 'Prometheus metrics',
        response: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const { registry } = app.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
}
