import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  comparisonEventsHeadersSchema,
  comparisonEventsQuerySchema,
  comparisonIdParamsSchema,
} from '../../schemas/comparison-resource.ts';
import { problemResponses } from '../../schemas/problem-document.ts';
import { toComparisonResource } from '../comparison-resource.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, notFound } from '../plugins/error-handler.ts';
import { ComparisonStream, parseResumeToken } from '../sse/comparison-stream.ts';
import { openEventStream } from '../sse/event-stream-response.ts';

/** GET /v1/comparisons/{id}/events: every run's events on one stream (src/api/sse/comparison-stream.ts). */
export default async function comparisonEventRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/comparisons/:id/events',
    {
      exposeHeadRoute: false,
      schema: {
        operationId: 'streamComparisonEvents',
        tags: ['comparisons'],
        summary: 'Watch a comparison (Server-Sent Events)',
        description:
          "`event: status` (data: the Comparison) first and whenever a run's status changes (the ranking with " +
          'it); `event: points` (data: `{"jobId", "points": [TrajectoryPoint, …]}`, in order per run); `event: ' +
          'end` (data: the final Comparison) once every run has ended, then the stream closes. `: ping` comments ' +
          'keep idle streams open.\n\n' +
          'Every `points` event has an `id` that is a resume token, `v1.<i0>.<i1>.….<iN-1>`: for each run k in ' +
          'run order, the last point i sent for it (-1: none yet). Reconnect with `Last-Event-ID: <token>` (or ' +
          '`?after=<token>`) and every run resumes after its own last point: no point lost or repeated. A ' +
          'malformed token, or one with the wrong number of runs, is a 400.',
        security: BEARER_OPTIONAL,
        params: comparisonIdParamsSchema,
        querystring: comparisonEventsQuerySchema,
        headers: comparisonEventsHeadersSchema,
        response: {
          200: { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } },
          ...problemResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const tenant = request.tenant;
      const comparison = await app.comparisons.get(id, tenant);
      if (comparison === null) throw notFound(`no comparison '${id}'`);
      const lastEventId = request.headers['last-event-id'];
      const token = lastEventId ?? request.query.after;
      const members = comparison.jobIds.length;
      const after = token === undefined ? comparison.jobIds.map(() => -1) : parseResumeToken(token, members);
      if (after === null) {
        throw badRequest([
          {
            path: lastEventId !== undefined ? 'last-event-id' : 'after',
            message: `not a resume token of this comparison: v1 and ${members} point indices (v1.<i0>.….<i${members - 1}>)`,
          },
        ]);
      }
      const records = await app.jobs.getMany(comparison.jobIds);
      const load = async () => {
        const found = await app.comparisons.withMembers(id, tenant);
        return found === null ? null : toComparisonResource(found.comparison, found.jobs);
      };

      const response = openEventStream(request, reply);
      request.log.info({ comparisonId: id, after: token ?? null }, 'comparison event stream opened');
      const stream = new ComparisonStream(
        {
          hub: app.sseHub,
          response,
          load,
          logger: app.log,
          maxBufferBytes: app.config.sseMaxBufferBytes,
          pingMs: app.config.ssePingMs,
          retryMs: 1000,
        },
        comparison.jobIds,
        after,
      );
      stream.start(
        toComparisonResource(
          comparison,
          records.filter((record) => record !== null),
        ),
        records,
      );
    },
  );
}
