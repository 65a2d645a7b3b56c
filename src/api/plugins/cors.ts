import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * CORS, for browser pages on other origins that call the API (a notebook in the browser, a
 * dashboard served elsewhere): CORS_ORIGINS names them, or `*`. Unset, no CORS header is sent and
 * browsers keep to their same-origin rule; other clients never need it.
 *
 * Preflights allow the request headers the API reads (Authorization, Content-Type,
 * Idempotency-Key, Last-Event-ID, X-Request-Id, Accept); responses expose the headers it sets
 * (Location, Idempotent-Replayed, X-Request-Id, Retry-After and the rate-limit ones). No
 * credentials mode: keys travel in Authorization, not in cookies. (An EventSource cannot send
 * Authorization; a browser page on an API with keys reads events with fetch and a stream reader.)
 */
async function corsPlugin(app: FastifyInstance) {
  const { corsOrigins } = app.config;
  if (corsOrigins === null) return;
  await app.register(cors, {
    origin: corsOrigins === '*' ? '*' : corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'Last-Event-ID',
      'X-Request-Id',
      'Accept',
    ],
    exposedHeaders: [
      'Location',
      'Idempotent-Replayed',
      'X-Request-Id',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors', dependencies: ['config'] });
