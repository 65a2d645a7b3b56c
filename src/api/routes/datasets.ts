import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type DatasetResource,
  datasetIdParamsSchema,
  datasetListSchema,
  datasetSchema,
  datasetUploadBodySchema,
  datasetUploadQuerySchema,
  listDatasetsQuerySchema,
} from '../../schemas/dataset.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import type { DatasetRecord } from '../../store/datasets.ts';
import type { UploadInput, UploadOutcome } from '../datasets/parse-upload.ts';
import { parseUpload } from '../datasets/parse-upload.ts';
import { EvaluationQueueFull, UPLOAD_INLINE_BYTES } from '../evaluate/pool.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, conflict, HttpProblem, notFound, problem } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';

/** The API resource of a stored data set. */
export function toDatasetResource(record: DatasetRecord): DatasetResource {
  const resource: DatasetResource = {
    id: record.id,
    name: record.name,
    rows: record.rows,
    features: record.features,
    task: record.task,
    columns: record.columns,
    target: record.target,
    targets: record.targets,
    origin: record.origin,
    bytes: record.bytes,
    createdAt: record.createdAt,
    links: { self: `/v1/datasets/${encodeURIComponent(record.id)}` },
  };
  if (record.task === 'classification') resource.classes = record.classes;
  if (record.labels !== null) resource.labels = record.labels;
  return resource;
}

/**
 * POST /v1/datasets (JSON `{X, y}` or CSV), GET /v1/datasets (list), GET and DELETE
 * /v1/datasets/{id}. An upload is read as text (up to DATASET_BODY_LIMIT_BYTES, 413 above),
 * parsed and checked in full (on a compute thread when large: src/api/evaluate/pool.ts), and only
 * then stored, in one transaction: a refusal (400 naming row and column) stores nothing. This
 * plugin is encapsulated: its content-type parsers apply to its routes only.
 */
export default async function datasetRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const bodyLimit = app.config.datasetBodyLimitBytes;

  // The body as text: the parse (JSON or CSV) happens with the checks, possibly on a thread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'text/csv'],
    { parseAs: 'string', bodyLimit },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/v1/datasets',
    {
      bodyLimit,
      validatorCompiler: passThroughBody,
      schema: {
        operationId: 'createDataset',
        tags: ['datasets'],
        summary: 'Upload a data set',
        description:
          'JSON `{X, y}` (rows of numbers and one target per row), or `text/csv` with a header row and ' +
          '`?target=<column>`. Targets are numbers or class labels (see `task`); labels map to classes in ' +
          'sorted order, and the mapping is returned (`labels`). Refused with a 400 that names row and column: ' +
          'ragged rows, non-numeric features, NaN or Infinity, a missing target column, one class only, an ' +
          'empty file, more numbers than the server allows (MAX_DATASET_NUMBERS, rows × (features + 1)). A body ' +
          'over DATASET_BODY_LIMIT_BYTES (16 MiB) is a 413. Stored compactly (float64) and immutable.',
        security: BEARER_OPTIONAL,
        consumes: ['application/json', 'text/csv'],
        querystring: datasetUploadQuerySchema,
        body: datasetUploadBodySchema,
        response: {
          201: jsonResponse(datasetSchema, 'Stored.'),
          ...problemResponses(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const text = typeof request.body === 'string' ? request.body : '';
      const csv = /^text\/csv\b/i.test(request.headers['content-type'] ?? '');
      const input: UploadInput = {
        kind: csv ? 'csv' : 'json',
        text,
        target: request.query.target,
        task: request.query.task,
        maxNumbers: app.config.maxDatasetNumbers,
      };
      const outcome = await parse(input);
      if (!outcome.ok) throw badRequest(outcome.errors, outcome.title);
      const record = await app.datasets.create(request.tenant, outcome.dataset, {
        name: outcome.name ?? request.query.name ?? null,
      });
      reply.code(201).header('location', `/v1/datasets/${encodeURIComponent(record.id)}`);
      return toDatasetResource(record);
    },
  );

  /** Small bodies on the event loop, large ones on a compute thread. */
  async function parse(input: UploadInput): Promise<UploadOutcome> {
    if (input.text.length <= UPLOAD_INLINE_BYTES) return parseUpload(input);
    try {
      return await app.threads.parseUpload(input);
    } catch (error) {
      if (!(error instanceof EvaluationQueueFull)) throw error;
      throw new HttpProblem(problem(429, 'rate-limited', 'Too many requests', error.message), {
        'retry-after': '1',
      });
    }
  }

  app.get(
    '/v1/datasets',
    {
      schema: {
        operationId: 'listDatasets',
        tags: ['datasets'],
        summary: 'List data sets',
        description: 'Newest first, in pages of `limit` (at most 100).',
        security: BEARER_OPTIONAL,
        querystring: listDatasetsQuerySchema,
        response: {
          200: jsonResponse(datasetListSchema, 'A page of data sets, newest first.'),
          ...problemResponses(400, 401, 429, 503),
        },
      },
    },
    async (request) => {
      const page = await app.datasets.list(request.tenant, request.query);
      if (page === null) {
        throw badRequest([{ path: 'cursor', message: 'not a cursor from this API (use nextCursor)' }]);
      }
      return { items: page.items.map(toDatasetResource), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        operationId: 'getDataset',
        tags: ['datasets'],
        summary: 'Get a data set',
        description: 'Its metadata: shape, columns, task, classes and their labels.',
        security: BEARER_OPTIONAL,
        params: datasetIdParamsSchema,
        response: {
          200: jsonResponse(datasetSchema, 'The data set.'),
          ...problemResponses(401, 404, 429, 503),
        },
      },
    },
    async (request) => {
      const record = await app.datasets.get(request.params.id, request.tenant);
      if (record === null) throw notFound(`no data set '${request.params.id}'`);
      return toDatasetResource(record);
    },
  );

  app.delete(
    '/v1/datasets/:id',
    {
      schema: {
        operationId: 'deleteDataset',
        tags: ['datasets'],
        summary: 'Delete a data set',
        description:
          'Removes the data set. 409 while a queued or running job uses it (cancel the job, or wait for it).',
        security: BEARER_OPTIONAL,
        params: datasetIdParamsSchema,
        response: { 204: z.undefined().describe('Deleted.'), ...problemResponses(401, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const outcome = await app.datasets.remove(request.params.id, request.tenant);
      if (!outcome.removed && outcome.reason === 'missing')
        throw notFound(`no data set '${request.params.id}'`);
      if (!outcome.removed && outcome.reason === 'in_use') {
        throw conflict(
          `job '${outcome.jobId}' uses the data set and is queued or running; cancel it, or delete the data set once it has finished`,
        );
      }
      return reply.code(204).send();
    },
  );
}
