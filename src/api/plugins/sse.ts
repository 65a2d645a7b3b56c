import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { toJobResource } from '../job-resource.ts';
import { SseHub } from '../sse/hub.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sseHub: SseHub;
  }
}

export interface SsePluginOptions {
  /** Trajectory poll interval of each job's reader (ms); default 50, about the workers' flush interval. */
  ssePollMs?: number;
}

/**
 * The SSE hub (src/api/sse/hub.ts) and its pub/sub connection: a duplicate of the API connection in
 * subscriber mode, which queues SUBSCRIBEs while (re)connecting and resubscribes by itself.
 * Streams are ended before the server closes, so shutdown never waits on an idle client.
 */
async function ssePlugin(app: FastifyInstance, options: SsePluginOptions) {
  const subscriber = app.redis.duplicate({
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectionName: 'descent-api-events',
  });
  subscriber.on('error', (error) => app.log.debug({ err: error }, 'redis subscriber connection error'));
  const hub = new SseHub({
    jobs: app.jobs,
    trajectories: app.trajectories,
    subscriber,
    channel: (id) => app.keys.events(id),
    toResource: toJobResource,
    logger: app.log,
    pingMs: app.config.ssePingMs,
    maxBufferBytes: app.config.sseMaxBufferBytes,
    pollMs: options.ssePollMs ?? 50,
    retryMs: 1000,
  });
  app.decorate('sseHub', hub);
  app.addHook('preClose', async () => hub.close());
  app.addHook('onClose', async () => subscriber.disconnect());
}

export default fp(ssePlugin, { name: 'sse', dependencies: ['config', 'redis'] });
