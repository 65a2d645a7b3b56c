import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventsHeadersSchema, eventsQuerySchema, jobIdParamsSchema } from '../../schemas/job.ts';
import { problemResponses } from '../../schemas/problem-document.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { notFound } from '../plugins/error-handler.ts';
import { openEventStream } from '../sse/event-stream-response.ts';

/** GET /v1/jobs/{id}/events: Server-Sent Events through the hub (src/api/sse/hub.ts). */
export default async function eventRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/jobs/:id/events',
    {
      // A HEAD would open a stream with no body to carry it.
      exposeHeadRoute: false,
      schema: {
        tags: ['jobs'],
        operationId: 'streamJobEvents',
        summary: 'Watch a job (Server-Sent Events)',
        description:
          '`event: status` (data: the Job) first and on every status change; `event: points` (data: ' +
          '`{"points": [TrajectoryPoint, …]}`, `id:` the last point\'s i); `event: end` (data: the final Job), ' +
          'then the stream closes. Reconnect with `Last-Event-ID` (or `?after=`) to resume with no point lost or ' +
          'repeated. A finished job replays its trajectory then `end`. `: ping` comments keep idle streams open.',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        querystring: eventsQuerySchema,
        headers: eventsHeadersSchema,
        response: {
          200: {
            description: 'An event stream.',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...problemResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const record = await app.jobs.get(request.params.id, request.tenant);
      if (record === null) throw notFound(`no job '${request.params.id}'`);
      const lastEventId = request.headers['last-event-id'];
      const after = lastEventId !== undefined ? Number(lastEventId) : (request.query.after ?? -1);

      const response = openEventStream(request, reply);
      request.log.info({ jobId: record.id, after }, 'event stream opened');
      response.on('close', () => request.log.info({ jobId: record.id }, 'event stream closed'));
      app.sseHub.open(record, Math.max(-1, after), response);
    },
  );
}
