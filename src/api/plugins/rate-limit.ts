import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createKeyResolver } from './auth.ts';
import { HttpProblem, problem } from './error-handler.ts';

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS for each tenant (each client address when the
 * API is open, or for calls without a valid key); 429 problem+json with Retry-After beyond that.
 * Only /v1 is limited: probes and scrapes (/healthz, /readyz, /metrics) and the docs are not.
 * Counts are kept per API process.
 */
async function rateLimitPlugin(app: FastifyInstance) {
  const { rateLimitMax, rateLimitWindowMs, apiKeys } = app.config;
  if (rateLimitMax === 0) return;
  const tenantOf = createKeyResolver(apiKeys);
  await app.register(rateLimit, {
    global: true,
    max: rateLimitMax,
    timeWindow: rateLimitWindowMs,
    allowList: (request) => !request.url.startsWith('/v1/'),
    keyGenerator: (request) => {
      const tenant = apiKeys === null ? null : tenantOf(request.headers.authorization);
      return tenant === null ? `ip:${request.ip}` : `tenant:${tenant}`;
    },
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(
        problem(
          429,
          'rate-limited',
          'Too many requests',
          `rate limit of ${context.max} requests exceeded; retry in ${context.after}`,
        ),
        { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      ),
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['config'] });
