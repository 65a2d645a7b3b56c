import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeComparisonSpec } from '../../schemas/comparison.ts';
import {
  comparisonIdParamsSchema,
  comparisonListSchema,
  comparisonSchema,
  comparisonSpecDocumentSchema,
  listComparisonsQuerySchema,
} from '../../schemas/comparison-resource.ts';
import { submitHeadersSchema } from '../../schemas/job.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import type { ComparisonRecord } from '../../store/comparisons.ts';
import { DatasetGoneError, TenantCapError } from '../../store/job-submissions.ts';
import { toComparisonResource } from '../comparison-resource.ts';
import { readPage } from '../list-cursor.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';
import {
  datasetGone,
  enqueueStored,
  removeInlineData,
  storeInlineData,
  submissionOptions,
  tooManyActiveJobs,
  webhookErrors,
} from '../submission.ts';

/** POST/GET /v1/comparisons, GET/DELETE /v1/comparisons/{id}, POST /v1/comparisons/{id}/cancel. */
export default async function comparisonRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** The caller's comparison, or 404 (also for another tenant's id). */
  async function findComparison(id: string, tenant: string): Promise<ComparisonRecord> {
    const record = await app.comparisons.get(id, tenant);
    if (record === null) throw notFound(`no comparison '${id}'`);
    return record;
  }

  async function resource(id: string, tenant: string) {
    const found = await app.comparisons.withMembers(id, tenant);
    if (found === null) throw notFound(`no comparison '${id}'`);
    return toComparisonResource(found.comparison, found.jobs);
  }

  app.post(
    '/v1/comparisons',
    {
      // Validated by normalizeComparisonSpec (paths such as runs[2].optimizer.lr); the schema is the document's.
      validatorCompiler: passThroughBody,
      schema: {
        operationId: 'createComparison',
        tags: ['comparisons'],
        summary: 'Compare optimizers on one objective',
        description:
          'One job per run, all from the same start and seed: `runs` (1 to 50 optimizers, each with an optional ' +
          'schedule and label) or a `sweep` over one numeric optimizer parameter (`values`, or `logspace: [lo, hi, ' +
          'n]`), at most 50 runs. The runs are stored and queued together (all or nothing; each counts against ' +
          'MAX_ACTIVE_JOBS_PER_TENANT). With `Idempotency-Key`, a repeat returns the same comparison.',
        security: BEARER_OPTIONAL,
        headers: submitHeadersSchema,
        body: comparisonSpecDocumentSchema,
        response: {
          202: jsonResponse(
            comparisonSchema,
            'Accepted and queued (or the comparison of a replayed Idempotency-Key).',
          ),
          ...problemResponses(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const normalized = normalizeComparisonSpec(
        request.body,
        await submissionOptions(app, request.tenant, [request.body]),
      );
      if (!normalized.ok) throw badRequest(normalized.errors, 'Invalid comparison spec');
      const { label } = normalized;
      const refused = await webhookErrors(app, [{ url: normalized.spec.webhook?.url, where: '' }]);
      if (refused.length > 0) throw badRequest(refused, 'Invalid comparison spec');
      // A model's inline rows are stored once, as a data set every member refers to by id.
      const stored = await storeInlineData(app, request.tenant, normalized.members[0], normalized.inlineData);
      const objective = stored.spec.objective;
      const spec = { ...normalized.spec, objective };
      const members = normalized.members.map((member) => ({ ...member, objective }));
      const idempotencyKey = request.headers['idempotency-key'];
      let created: Awaited<ReturnType<typeof app.comparisons.create>>;
      try {
        created = await app.comparisons.create(request.tenant, spec, label, members, idempotencyKey);
      } catch (error) {
        await removeInlineData(app, request.tenant, [stored]);
        if (error instanceof TenantCapError) throw tooManyActiveJobs(error);
        if (error instanceof DatasetGoneError) throw datasetGone(error);
        throw error;
      }
      if (!created.created) await removeInlineData(app, request.tenant, [stored]);
      await enqueueStored(app, created.jobs, created.position, idempotencyKey !== undefined);
      if (created.created) app.metrics.jobsSubmitted.inc(created.jobs.length);
      reply.code(202).header('location', `/v1/comparisons/${encodeURIComponent(created.comparison.id)}`);
      if (!created.created) reply.header('idempotent-replayed', 'true');
      return toComparisonResource(created.comparison, created.jobs);
    },
  );

  app.get(
    '/v1/comparisons',
    {
      schema: {
        operationId: 'listComparisons',
        tags: ['comparisons'],
        summary: 'List comparisons',
        description: 'Newest first, filtered by `status` and `label`, in pages of `limit` (at most 100).',
        security: BEARER_OPTIONAL,
        querystring: listComparisonsQuerySchema,
        response: {
          200: jsonResponse(comparisonListSchema, 'A page of comparisons, newest first.'),
          ...problemResponses(400, 401, 429, 503),
        },
      },
    },
    async (request) => {
      const { items, nextCursor } = await readPage(() => app.comparisons.list(request.tenant, request.query));
      return {
        items: items.map(({ comparison, jobs }) => toComparisonResource(comparison, jobs)),
        nextCursor,
      };
    },
  );

  app.get(
    '/v1/comparisons/:id',
    {
      schema: {
        operationId: 'getComparison',
        tags: ['comparisons'],
        summary: 'Get a comparison',
        description: 'The comparison, its jobs in run order, and the ranking of the runs finished so far.',
        security: BEARER_OPTIONAL,
        params: comparisonIdParamsSchema,
        response: {
          200: jsonResponse(comparisonSchema, 'The comparison.'),
          ...problemResponses(401, 404, 429, 503),
        },
      },
    },
    async (request) => resource(request.params.id, request.tenant),
  );

  app.post(
    '/v1/comparisons/:id/cancel',
    {
      schema: {
        operationId: 'cancelComparison',
        tags: ['comparisons'],
        summary: 'Cancel a comparison',
        description:
          'Cancels every unfinished run (queued ones at once, running ones within 100 ms); the comparison ends ' +
          '`cancelled` once they have. Idempotent: a finished comparison is returned as it is.',
        security: BEARER_OPTIONAL,
        params: comparisonIdParamsSchema,
        response: {
          200: jsonResponse(comparisonSchema, 'The comparison after the request.'),
          ...problemResponses(401, 404, 429, 503),
        },
      },
    },
    async (request) => {
      const record = await findComparison(request.params.id, request.tenant);
      const discarded = await app.comparisons.cancel(record);
      if (discarded.length > 0) app.metrics.jobsFinished.inc({ status: 'cancelled' }, discarded.length);
      await Promise.all(discarded.map((id) => app.jobQueue.discard(id)));
      return resource(record.id, request.tenant);
    },
  );

  app.delete(
    '/v1/comparisons/:id',
    {
      schema: {
        operationId: 'deleteComparison',
        tags: ['comparisons'],
        summary: 'Delete a finished comparison',
        description:
          'Removes the comparison and its jobs (records, trajectories, parameters). 409 while a run is queued or running.',
        security: BEARER_OPTIONAL,
        params: comparisonIdParamsSchema,
        response: { 204: z.undefined().describe('Deleted.'), ...problemResponses(401, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const record = await findComparison(request.params.id, request.tenant);
      if ((await app.comparisons.remove(record.id)) === 'active') {
        throw conflict(
          'a run of the comparison is queued or running; cancel it first, and delete it once it has finished',
        );
      }
      return reply.code(204).send();
    },
  );
}
