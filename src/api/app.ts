import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { jsonSyntaxError } from '../schemas/json-syntax.ts';
import type { Resolver } from '../webhooks/destination.ts';
import authPlugin from './plugins/auth.ts';
import configPlugin from './plugins/config.ts';
import corsPlugin from './plugins/cors.ts';
import dashboardPlugin from './plugins/dashboard.ts';
import errorHandlerPlugin, { badRequest } from './plugins/error-handler.ts';
import metricsPlugin from './plugins/metrics.ts';
import queuePlugin from './plugins/queue.ts';
import rateLimitPlugin from './plugins/rate-limit.ts';
import redisPlugin from './plugins/redis.ts';
import ssePlugin from './plugins/sse.ts';
import swaggerPlugin from './plugins/swagger.ts';
import threadsPlugin from './plugins/threads.ts';
import underPressurePlugin from './plugins/under-pressure.ts';
import webhooksPlugin from './plugins/webhooks.ts';
import zodPlugin from './plugins/zod.ts';
import catalogRoutes from './routes/catalog.ts';
import comparisonEventRoutes from './routes/comparison-events.ts';
import comparisonRoutes from './routes/comparisons.ts';
import datasetRoutes from './routes/datasets.ts';
import evaluateRoutes from './routes/evaluate.ts';
import eventRoutes from './routes/events.ts';
import healthRoutes from './routes/health.ts';
import jobRoutes from './routes/jobs.ts';
import rootRoutes from './routes/root.ts';
import trajectoryRoutes from './routes/trajectory.ts';

export interface BuildAppOptions {
  config: Config;
  /** An existing API connection (tests, scripts); the app does not close it. Default: one from REDIS_URL. */
  redis?: Redis;
  /** pino options, or false for none. Default: JSON logs at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** Follow finished-job notifications (`{p}:finished`) for run metrics. Default: when REDIS_URL is set. */
  queueEvents?: boolean;
  /** Trajectory poll interval of the SSE readers (ms). */
  ssePollMs?: number;
  /** How webhook hosts are resolved at validation (tests inject one); default: the system's. */
  webhookResolver?: Resolver;
}

/** An incoming x-request-id is kept when it looks like an id; otherwise a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the API (fastify/demo style): infrastructure plugins first (config, CORS, schemas, errors,
 * Redis and stores, queue, auth, limits, metrics, SSE, docs, the dashboard's build), then the routes. server.ts runs it;
 * tests and scripts build it directly.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const { trustProxy } = config;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    // A hop count as a function: Fastify takes numbers too, but its types do not say so.
    trustProxy:
      typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Idle keep-alive sockets are closed on shutdown; event streams are ended by the SSE plugin.
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Only JSON bodies: anything else is a 415. An empty JSON body counts as no body, so
  // `POST /v1/jobs/{id}/cancel` with `Content-Type: application/json` and nothing else is fine.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, (error, value) => {
      if (error === null) {
        done(null, value);
        return;
      }
      // A syntax error is reported where it is (line, column, offset, caret); anything else the
      // parser refuses (a `__proto__` key) keeps Fastify's error.
      const syntax = jsonSyntaxError(body as string);
      done(syntax === null ? error : badRequest([syntax], 'Invalid JSON'), undefined);
    });
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(configPlugin, { config });
  await app.register(corsPlugin);
  await app.register(zodPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(redisPlugin, { redis: options.redis });
  await app.register(queuePlugin, { queueEvents: options.queueEvents });
  await app.register(authPlugin);
  await app.register(rateLimitPlugin);
  await app.register(underPressurePlugin);
  await app.register(metricsPlugin);
  await app.register(ssePlugin, { ssePollMs: options.ssePollMs });
  await app.register(webhooksPlugin, { resolver: options.webhookResolver });
  await app.register(swaggerPlugin);
  await app.register(threadsPlugin);
  await app.register(dashboardPlugin);

  await app.register(rootRoutes);
  await app.register(healthRoutes);
  await app.register(catalogRoutes);
  await app.register(evaluateRoutes);
  await app.register(jobRoutes);
  await app.register(datasetRoutes);
  await app.register(trajectoryRoutes);
  await app.register(eventRoutes);
  await app.register(comparisonRoutes);
  await app.register(comparisonEventRoutes);

  return app;
}
