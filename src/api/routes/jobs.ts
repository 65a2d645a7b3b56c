import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  jobBatchResultSchema,
  jobBatchSchema,
  jobIdParamsSchema,
  jobListSchema,
  jobSchema,
  jobSpecDocumentSchema,
  listJobsQuerySchema,
  MAX_BATCH_JOBS,
  submitHeadersSchema,
} from '../../schemas/job.ts';
import { normalizeJobSpec } from '../../schemas/job-spec.ts';
import type { FieldError } from '../../schemas/problem.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import { FINISHED_STATUSES, type JobRecord } from '../../store/contract.ts';
import { DatasetGoneError, TenantCapError } from '../../store/job-submissions.ts';
import { toJobResource } from '../job-resource.ts';
import { readPage } from '../list-cursor.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';
import {
  createSubmittedJob,
  datasetGone,
  enqueueStored,
  normalizeSubmission,
  removeInlineData,
  type Submission,
  storeInlineData,
  submissionOptions,
  tooManyActiveJobs,
  webhookErrors,
} from '../submission.ts';

/** POST/GET /v1/jobs, GET/DELETE /v1/jobs/{id}, POST /v1/jobs/{id}/cancel. */
export default async function jobRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** A store create, its TenantCapError as a 429. */
  async function createOrRefuse<T>(create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (error) {
      if (error instanceof TenantCapError) throw tooManyActiveJobs(error);
      if (error instanceof DatasetGoneError) throw datasetGone(error);
      throw error;
    }
  }

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
        operationId: 'createJob',
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
      const refused = await webhookErrors(app, [{ url: submission.spec.webhook?.url, where: '' }]);
      if (refused.length > 0) {
        await removeInlineData(app, request.tenant, [submission]);
        throw badRequest(refused, 'Invalid job spec');
      }
      const idempotencyKey = request.headers['idempotency-key'];
      // Record first, then queue entry: the create's reply is awaited before the add goes out,
      // so a worker can never fetch a job whose record is not stored yet, whatever happens to
      // the create on the way (an ioredis NOSCRIPT resend after a SCRIPT FLUSH goes out after
      // any command already sent). A replayed Idempotency-Key re-enqueues a job whose first
      // enqueue failed; BullMQ ignores an add whose job id it already has.
      const { job, created, position } = await createOrRefuse(() =>
        createSubmittedJob(app, request.tenant, submission, idempotencyKey),
      );
      await enqueueStored(app, [job], position, idempotencyKey !== undefined);
      if (created) app.metrics.jobsSubmitted.inc();
      reply.code(202).header('location', `/v1/jobs/${encodeURIComponent(job.id)}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return toJobResource(job, await app.jobQueue.waitingFor(job));
    },
  );

  app.post(
    '/v1/jobs/batch',
    {
      validatorCompiler: passThroughBody,
      schema: {
        operationId: 'createJobBatch',
        tags: ['jobs'],
        summary: 'Submit jobs in a batch',
        description:
          'Validates every spec first: one invalid spec refuses the whole batch (400, paths `jobs[3].…`). Then ' +
          'stores every record in one script and enqueues them in one round trip. Each job counts against ' +
          'MAX_ACTIVE_JOBS_PER_TENANT (429 for the whole batch when it would go over). With `Idempotency-Key`, a ' +
          'repeat returns the same jobs.',
        security: BEARER_OPTIONAL,
        headers: submitHeadersSchema,
        body: jobBatchSchema,
        response: {
          202: jsonResponse(jobBatchResultSchema, 'Accepted and queued, in request order.'),
          ...problemResponses(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { jobs?: unknown } | null | undefined;
      const inputs = body !== null && typeof body === 'object' ? body.jobs : undefined;
      if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_BATCH_JOBS) {
        throw badRequest(
          [{ path: 'jobs', message: `must be an array of 1 to ${MAX_BATCH_JOBS} job specs` }],
          'Invalid batch',
        );
      }
      const unknown = Object.keys(body as object).filter((key) => key !== 'jobs');
      const errors: FieldError[] = unknown.map((key) => ({ path: key, message: `unknown field '${key}'` }));
      // Every spec is validated (with the data sets the batch names) before anything is stored.
      const options = await submissionOptions(app, request.tenant, inputs);
      const normalizedSpecs = inputs.map((input, k) => {
        const normalized = normalizeJobSpec(input, options);
        if (!normalized.ok)
          for (const error of normalized.errors)
            errors.push({ ...error, path: error.path === '' ? `jobs[${k}]` : `jobs[${k}].${error.path}` });
        return normalized;
      });
      if (errors.length === 0) {
        errors.push(
          ...(await webhookErrors(
            app,
            normalizedSpecs.map((normalized, k) => ({
              url: normalized.ok ? normalized.spec.webhook?.url : undefined,
              where: `jobs[${k}].`,
            })),
          )),
        );
      }
      if (errors.length > 0) throw badRequest(errors, 'Invalid batch');
      const submissions: Submission[] = [];
      for (const normalized of normalizedSpecs) {
        if (normalized.ok)
          submissions.push(
            await storeInlineData(app, request.tenant, normalized.spec, normalized.inlineData),
          );
      }
      const idempotencyKey = request.headers['idempotency-key'];
      let batch: Awaited<ReturnType<typeof app.jobSubmissions.createBatch>>;
      try {
        batch = await createOrRefuse(() =>
          app.jobSubmissions.createBatch(
            request.tenant,
            submissions.map((submission) => submission.spec),
            idempotencyKey,
          ),
        );
      } catch (error) {
        await removeInlineData(app, request.tenant, submissions);
        throw error;
      }
      const { jobs, created, position } = batch;
      if (!created) await removeInlineData(app, request.tenant, submissions);
      await enqueueStored(app, jobs, position, idempotencyKey !== undefined);
      if (created) app.metrics.jobsSubmitted.inc(jobs.length);
      reply.code(202);
      if (!created) reply.header('idempotent-replayed', 'true');
      return { items: jobs.map((job) => toJobResource(job)) };
    },
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        operationId: 'listJobs',
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
      const { items, nextCursor } = await readPage(() => app.jobs.list(request.tenant, request.query));
      const waiting = await Promise.all(items.map((record) => app.jobQueue.waitingFor(record)));
      return { items: items.map((record, k) => toJobResource(record, waiting[k])), nextCursor };
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
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
        operationId: 'cancelJob',
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
        operationId: 'deleteJob',
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
      if (record.comparisonId !== undefined) {
        throw conflict(
          `the job is a run of comparison ${record.comparisonId}: delete the comparison (DELETE /v1/comparisons/${record.comparisonId})`,
        );
      }
      await app.jobs.remove(record.id);
      await app.jobQueue.discard(record.id);
      return reply.code(204).send();
    },
  );
}
