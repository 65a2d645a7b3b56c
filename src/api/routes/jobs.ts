import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  jobIdParamsSchema,
  jobListSchema,
  jobSchema,
  jobSpecDocumentSchema,
  listJobsQuerySchema,
  submitHeadersSchema,
} from '../../schemas/job.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import { FINISHED_STATUSES, type JobRecord } from '../../store/contract.ts';
import { InvalidCursorError } from '../../store/jobs.ts';
import { toJobResource } from '../job-resource.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';
import { createSubmittedJob, normalizeSubmission } from '../submission.ts';

/** POST/GET /v1/jobs, GET/DELETE /v1/jobs/{id}, POST /v1/jobs/{id}/cancel. */
export default async function jobRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** The caller's job, or 404 (also for another tenant's id: ids of others are not revealed). */
  async function findJob(id: string, tenant: string): Promise<JobRecord> {
    const record = await app.jobs.get(id, tenant);
    if (record === null) throw notFound(`no job '${id}'`);
    return record;
  }

  app.post(
    '/v1/jobs',
    {
      // The body is validated by normalizeJobSpec with the server's limits (same field paths as
      // `descent run`); the schema below is what the OpenAPI document shows.
      validatorCompiler: passThroughBody,
      schema: {
        tags: ['jobs'],
        summary: 'Submit a job',
        description:
          'Validates and normalises the spec (every default filled in, the seed resolved), stores the job and ' +
          'enqueues it. With `Idempotency-Key`, a repeat of the same key (per tenant) returns the same job.',
        security: BEARER_OPTIONAL,
        headers: submitHeadersSchema,
        body: jobSpecDocumentSchema,
        response: {
          202: jsonResponse(jobSchema, 'Accepted and queued (or the job of a replayed Idempotency-Key).'),
          ...problemResponses(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      // Model objectives meet the tenant's data sets here (inline rows are stored as one).
      const submission = await normalizeSubmission(app, request.tenant, request.body);
      const idempotencyKey = request.headers['idempotency-key'];
      // Record first, then queue entry: the create's reply is awaited before the add goes out,
      // so a worker can never fetch a job whose record is not stored yet, whatever happens to
      // the create on the way (an ioredis NOSCRIPT resend after a SCRIPT FLUSH goes out after
      // any command already sent). A replayed Idempotency-Key re-enqueues a job whose first
      // enqueue failed; BullMQ ignores an add whose job id it already has.
      const { job, created } = await createSubmittedJob(app, request.tenant, submission, idempotencyKey);
      if (job.status === 'queued') {
        try {
          await app.jobQueue.enqueue(job.id, job.spec);
        } catch (error) {
          // Without a key the client cannot retry into this record: mark it failed (best effort).
          if (idempotencyKey === undefined) {
            await app.jobs
              .fail(job.id, { code: 'enqueue_failed', message: 'the job could not be queued' })
              .catch(() => {});
          }
          throw error;
        }
      }
      if (created) app.metrics.jobsSubmitted.inc();
      reply.code(202).header('location', `/v1/jobs/${encodeURIComponent(job.id)}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return toJobResource(job, await app.jobQueue.waitingFor(job));
    },
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'List jobs',
        description: 'Newest first, filtered by `status` and `label`, in pages of `limit` (at most 100).',
        security: BEARER_OPTIONAL,
        querystring: listJobsQuerySchema,
        response: {
          200: jsonResponse(jobListSchema, 'A page of jobs, newest first.'),
          ...problemResponses(400, 401, 429, 503),
        },
      },
    },
    async (request) => {
      try {
        const { items, nextCursor } = await app.jobs.list(request.tenant, request.query);
        const waiting = await Promise.all(items.map((record) => app.jobQueue.waitingFor(record)));
        return { items: items.map((record, k) => toJobResource(record, waiting[k])), nextCursor };
      } catch (error) {
        if (error instanceof InvalidCursorError) {
          throw badRequest([{ path: 'cursor', message: 'not a cursor from this API (use nextCursor)' }]);
        }
        throw error;
      }
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Get a job',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        response: { 200: jsonResponse(jobSchema, 'The job.'), ...problemResponses(401, 404, 429, 503) },
      },
    },
    async (request) => {
      const record = await findJob(request.params.id, request.tenant);
      return toJobResource(record, await app.jobQueue.waitingFor(record));
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A queued job is cancelled at once; a running one stops within 100 ms and ends `cancelled` with the ' +
          'result so far. Idempotent: cancelling a finished job changes nothing and returns it.',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        response: {
          200: jsonResponse(jobSchema, 'The job after the request (idempotent).'),
          ...problemResponses(401, 404, 429, 503),
        },
      },
    },
    async (request) => {
      const record = await findJob(request.params.id, request.tenant);
      if (FINISHED_STATUSES.has(record.status)) return toJobResource(record);
      const updated = (await app.jobs.requestCancel(record.id)) ?? record;
      if (record.status === 'queued' && updated.status === 'cancelled') {
        app.metrics.jobsFinished.inc({ status: 'cancelled' });
        await app.jobQueue.discard(record.id);
      }
      return toJobResource(updated);
    },
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Delete a finished job',
        description:
          'Removes the job, its trajectory and parameters. 409 while the job is queued or running.',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        response: { 204: z.undefined().describe('Deleted.'), ...problemResponses(401, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const record = await findJob(request.params.id, request.tenant);
      if (!FINISHED_STATUSES.has(record.status)) {
        throw conflict(`the job is ${record.status}; cancel it first, and delete it once it has finished`);
      }
      await app.jobs.remove(record.id);
      await app.jobQueue.discard(record.id);
      return reply.code(204).send();
    },
  );
}
