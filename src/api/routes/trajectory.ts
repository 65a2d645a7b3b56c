import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type JobSpec, objectiveDim } from '../../core/spec.ts';
import type { TrajectoryPoint } from '../../core/types.ts';
import {
  DEFAULT_TRAJECTORY_LIMIT,
  jobIdParamsSchema,
  paramsQuerySchema,
  trajectoryPageSchema,
  trajectoryQuerySchema,
} from '../../schemas/job.ts';
import { problemResponses } from '../../schemas/problem-document.ts';
import { FINISHED_STATUSES, type JobRecord } from '../../store/contract.ts';
import { float64Bytes } from '../../store/float64.ts';
import type { TrajectoryStore } from '../../store/trajectory.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { conflict, notFound } from '../plugins/error-handler.ts';
import { preferredType } from './negotiate.ts';

/** Points per stream read while writing a CSV. */
const CSV_PAGE = 10_000;

/** A CSV cell for a number: pandas reads `inf`, `-inf` and an empty cell (NaN). */
function cell(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return String(value);
}

interface CsvLayout {
  dim: number;
  validation: boolean;
}

/** `i,f,gradNorm,lr,x0,…,x{n-1}[,valF,valAccuracy],t`: x columns when the job records params. */
export function csvLayout(spec: JobSpec, first: TrajectoryPoint | undefined): CsvLayout {
  const objectiveType = (spec.objective as { type: string }).type;
  const dim = spec.record.params ? (first?.x?.length ?? objectiveDim(spec.objective)) : 0;
  return { dim, validation: objectiveType === 'model' || first?.valF !== undefined };
}

export function csvHeader({ dim, validation }: CsvLayout): string {
  const columns = ['i', 'f', 'gradNorm', 'lr'];
  for (let j = 0; j < dim; j++) columns.push(`x${j}`);
  if (validation) columns.push('valF', 'valAccuracy');
  columns.push('t');
  return `${columns.join(',')}\n`;
}

export function csvRows(points: TrajectoryPoint[], { dim, validation }: CsvLayout): string {
  let text = '';
  for (const point of points) {
    const cells = [String(point.i), cell(point.f), cell(point.gradNorm), cell(point.lr)];
    for (let j = 0; j < dim; j++) cells.push(cell(point.x?.[j]));
    if (validation) cells.push(cell(point.valF), cell(point.valAccuracy));
    cells.push(cell(point.t));
    text += `${cells.join(',')}\n`;
  }
  return text;
}

/** The whole trajectory after `after` (or `limit` points of it) as CSV, read and written page by page. */
async function* csvStream(
  trajectories: TrajectoryStore,
  record: JobRecord,
  after: number,
  limit: number | undefined,
): AsyncGenerator<string> {
  let cursor = after;
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let layout: CsvLayout | null = null;
  while (remaining > 0) {
    const page = await trajectories.read(record.id, cursor, Math.min(CSV_PAGE, remaining));
    if (layout === null) {
      layout = csvLayout(record.spec, page[0]);
      yield csvHeader(layout);
    }
    if (page.length === 0) return;
    yield csvRows(page, layout);
    cursor = page[page.length - 1].i;
    remaining -= page.length;
    if (page.length < CSV_PAGE) return;
  }
}

/** GET /v1/jobs/{id}/trajectory (JSON pages or CSV) and GET /v1/jobs/{id}/params. */
export default async function trajectoryRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  async function findJob(id: string, tenant: string): Promise<JobRecord> {
    const record = await app.jobs.get(id, tenant);
    if (record === null) throw notFound(`no job '${id}'`);
    return record;
  }

  app.get(
    '/v1/jobs/:id/trajectory',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'getTrajectory',
        summary: 'Read the trajectory',
        description:
          'Points with `i > after`, in order, `limit` at a time (default 1000, at most 10000). `next` is the ' +
          '`after` of the following page; `complete` is true once the job is finished and no points remain. ' +
          'With `Accept: text/csv` (or `format=csv`) the points are CSV with the header ' +
          '`i,f,gradNorm,lr,x0,x1,…[,valF,valAccuracy],t`, every remaining point unless `limit` is given.',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        querystring: trajectoryQuerySchema,
        response: {
          200: {
            description: 'A page of points, or CSV.',
            content: {
              'application/json': { schema: trajectoryPageSchema },
              'text/csv': { schema: z.string().describe('CSV with a header row.') },
            },
          },
          ...problemResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const record = await findJob(request.params.id, request.tenant);
      const { after, limit, format } = request.query;
      const type = format
        ? format === 'csv'
          ? 'text/csv'
          : 'application/json'
        : preferredType(request.headers.accept, ['application/json', 'text/csv']);
      if (type === 'text/csv') {
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `inline; filename="trajectory-${record.id}.csv"`)
            // A stream is a valid payload; the type provider only knows the documented body types.
            .send(Readable.from(csvStream(app.trajectories, record, after, limit)) as unknown as string)
        );
      }
      const pageLimit = limit ?? DEFAULT_TRAJECTORY_LIMIT;
      // The status is read before the points: when it says finished, the stream is already whole.
      const finished = FINISHED_STATUSES.has(record.status);
      const points = await app.trajectories.read(record.id, after, pageLimit);
      const next = points.length > 0 ? points[points.length - 1].i : after;
      const complete =
        finished && (points.length < pageLimit || (await app.trajectories.lastIteration(record.id)) <= next);
      return { points, next, complete };
    },
  );

  app.get(
    '/v1/jobs/:id/params',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'getParams',
        summary: 'Final or best parameters',
        description:
          'The final (`which=final`, default) or best parameters of a finished job: a JSON array, or ' +
          'little-endian float64 bytes with `Accept: application/octet-stream` (for large dimensions). ' +
          '409 while the job is queued or running.',
        security: BEARER_OPTIONAL,
        params: jobIdParamsSchema,
        querystring: paramsQuerySchema,
        response: {
          200: {
            description: 'The parameters.',
            content: {
              'application/json': { schema: z.array(z.number()) },
              'application/octet-stream': {
                schema: z.string().describe('dim little-endian IEEE 754 float64 values (8·dim bytes).'),
              },
            },
          },
          ...problemResponses(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const record = await findJob(request.params.id, request.tenant);
      if (!FINISHED_STATUSES.has(record.status)) {
        throw conflict(`the job is ${record.status}; its parameters are available once it has finished`);
      }
      const values = await app.jobs.params(record.id, request.query.which);
      if (values === null) throw notFound(`job '${record.id}' has no parameters (status ${record.status})`);
      const type = preferredType(request.headers.accept, ['application/json', 'application/octet-stream']);
      if (type === 'application/octet-stream') {
        return reply.type('application/octet-stream').send(float64Bytes(values) as unknown as string);
      }
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(Array.from(values)));
    },
  );
}
