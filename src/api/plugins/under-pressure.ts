import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE, problem } from './error-handler.ts';

/**
 * Sheds load with 503 problem+json (Retry-After) when the event loop is saturated, instead of
 * letting every request time out. The bounds are generous: optimization runs in the workers, so
 * the API's loop only stalls when the process is truly overloaded.
 */
async function underPressurePlugin(app: FastifyInstance) {
  await app.register(underPressure, {
    maxEventLoopDelay: 2000,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (request, reply, type, value) => {
      request.log.warn({ type, value }, 'under pressure: shedding a request');
      reply
        .code(503)
        .header('retry-after', '5')
        .type(PROBLEM_CONTENT_TYPE)
        .send(
          problem(
            503,
            'service-unavailable',
            'Service unavailable',
            `the server is overloaded (${type}); retry shortly`,
          ),
        );
    },
  });
}

export default fp(underPressurePlugin, { name: 'under-pressure' });
