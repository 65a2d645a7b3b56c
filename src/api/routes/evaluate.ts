import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { builtins } from '../../core/objectives/builtins/index.ts';
import { objectiveDim } from '../../core/spec.ts';
import type { TabularDataset } from '../../data/tabular.ts';
import {
  EVALUATE_HESSIAN_DEFAULT_MAX_DIM,
  EVALUATE_HESSIAN_MAX_DIM,
  evaluateBodySchema,
  evaluateEnvelopeSchema,
  evaluateGridEnvelopeSchema,
  evaluateGridResponseSchema,
  evaluateResponseSchema,
} from '../../schemas/evaluate.ts';
import { normalizeJobSpec } from '../../schemas/job-spec.ts';
import type { Limits } from '../../schemas/limits.ts';
import { type FieldError, fieldErrorsFromZod } from '../../schemas/problem.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import {
  type Evaluation,
  type EvaluationTask,
  evaluateObjective,
  type GridEvaluationTask,
} from '../evaluate/evaluation.ts';
import { EvaluationQueueFull, evaluatesInline } from '../evaluate/pool.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, HttpProblem, problem } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';
import { referencedDatasetId } from '../submission.ts';

/** Reports a job-spec path of the wrapped request under the evaluate body's names. */
function toEvaluatePath(error: FieldError): FieldError {
  return { ...error, path: error.path.replace(/^start\.x0/, 'x') };
}

/**
 * The grid form's task: the envelope checked, the objective normalised (a builtin without `dim`
 * is 2-D, its default) and required to be 2-D. Errors name the field.
 */
function gridTask(body: unknown, limits: Limits): GridEvaluationTask {
  const envelope = evaluateGridEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw badRequest(fieldErrorsFromZod(envelope.error));
  const { objective, grid, seed } = envelope.data;
  if ((objective as { type?: unknown } | null)?.type === 'model') {
    throw badRequest([
      {
        path: 'objective.type',
        message: 'the grid form takes builtin and expression objectives, not a model',
      },
    ]);
  }
  const normalized = normalizeJobSpec(
    { objective, optimizer: { name: 'sgd' }, seed: seed ?? 0 },
    { limits, checkStartValue: false },
  );
  if (!normalized.ok) throw badRequest(normalized.errors);
  const dim = objectiveDim(normalized.spec.objective);
  if (dim !== 2) {
    throw badRequest([
      { path: 'objective', message: `the grid form needs a 2-D objective; this one has dimension ${dim}` },
    ]);
  }
  return { objective: normalized.spec.objective, seed: normalized.spec.seed, x: grid.x, y: grid.y };
}

/**
 * POST /v1/evaluate: f, ∇f and ∇²f of an objective at a point, for checking an objective; or,
 * with `grid` instead of `x`, f over a grid of a 2-D objective, for contour plots. Validation
 * runs here; a point evaluation runs on the event loop only when it is small, on an evaluation
 * thread otherwise, and a grid always on a thread (src/api/evaluate/pool.ts).
 */
/** The JSON text computed on a thread; a full queue is a 429 with Retry-After. */
async function onThread(compute: () => Promise<string>): Promise<string> {
  try {
    return await compute();
  } catch (error) {
    if (!(error instanceof EvaluationQueueFull)) throw error;
    throw new HttpProblem(problem(429, 'rate-limited', 'Too many requests', error.message), {
      'retry-after': '1',
    });
  }
}

export default async function evaluateRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const pool = app.threads;

  app.post(
    '/v1/evaluate',
    {
      validatorCompiler: passThroughBody,
      schema: {
        tags: ['evaluate'],
        operationId: 'evaluateObjective',
        summary: 'Evaluate an objective',
        description:
          'f(x), ∇f(x) and, when requested and the dimension allows, the Hessian ∇²f(x). The objective is ' +
          'validated exactly as in a job spec; for a builtin without `dim`, the dimension is the length of `x`. ' +
          'The grid form `{objective, grid: {x: [lo, hi, nx], y: [lo, hi, ny]}}` (a 2-D objective, ' +
          'nx·ny <= 262,144) answers `{f}`, row-major with x fastest: f[j·nx + i] = f(xᵢ, yⱼ), ' +
          'xᵢ = lo + i·(hi − lo)/(nx − 1); null where f is not finite. A model objective (data by datasetId, ' +
          'builtin or inline) is evaluated on its whole training split, and the answer adds the validation ' +
          'loss and accuracy at x.',
        security: BEARER_OPTIONAL,
        body: evaluateBodySchema,
        response: {
          200: jsonResponse(
            z.union([evaluateResponseSchema, evaluateGridResponseSchema]),
            'f, the gradient and (when requested) the Hessian at x; or, for the grid form, f over the grid.',
          ),
          ...problemResponses(400, 401, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'grid')) {
        const task = gridTask(body, app.config.limits);
        return reply
          .type('application/json; charset=utf-8')
          .send((await onThread(() => pool.runGrid(task))) as unknown as Evaluation);
      }
      const envelope = evaluateEnvelopeSchema.safeParse(request.body);
      if (!envelope.success) throw badRequest(fieldErrorsFromZod(envelope.error));
      const { x, hessian: hessianWanted, seed } = envelope.data;
      let objective = envelope.data.objective;
      if (typeof objective === 'object' && objective !== null && !Array.isArray(objective)) {
        const given = objective as { type?: unknown; name?: unknown; dim?: unknown };
        const definition =
          given.type === 'builtin' && typeof given.name === 'string' && Object.hasOwn(builtins, given.name)
            ? builtins[given.name as keyof typeof builtins]
            : undefined;
        if (definition?.anyDim && given.dim === undefined) objective = { ...given, dim: x.length };
      }
      const datasetId = referencedDatasetId({ objective });
      const stored = datasetId === null ? null : await app.datasets.get(datasetId, request.tenant);
      const normalized = normalizeJobSpec(
        { objective, optimizer: { name: 'sgd' }, start: { x0: x }, seed: seed ?? 0 },
        // A non-finite f is an answer here (null), not an invalid request.
        {
          limits: app.config.limits,
          checkStartValue: false,
          models: {
            datasetShape: (id) => (id === datasetId && stored !== null ? stored : undefined),
            maxDatasetNumbers: app.config.maxDatasetNumbers,
          },
        },
      );
      if (!normalized.ok) throw badRequest(normalized.errors.map(toEvaluatePath));
      const dim = x.length;
      if (hessianWanted === true && dim > EVALUATE_HESSIAN_MAX_DIM) {
        throw badRequest([
          {
            path: 'hessian',
            message: `a dense Hessian is available up to dimension ${EVALUATE_HESSIAN_MAX_DIM}`,
          },
        ]);
      }
      const spec = normalized.spec;
      const task: EvaluationTask = {
        objective: spec.objective,
        seed: spec.seed,
        x,
        hessian: hessianWanted ?? dim <= EVALUATE_HESSIAN_DEFAULT_MAX_DIM,
      };
      let dataset: TabularDataset | null | undefined = normalized.inlineData;
      if (datasetId !== null) {
        dataset = await app.datasets.read(datasetId);
        if (dataset === null) {
          throw badRequest([{ path: 'objective.data.datasetId', message: `no data set '${datasetId}'` }]);
        }
      }
      if (dataset) task.dataset = dataset;
      if (evaluatesInline(task)) return evaluateObjective(task);
      // Serialised on the thread (a dim² Hessian is megabytes of JSON): Fastify sends a JSON
      // string as it is, without the response serializer.
      return reply
        .type('application/json; charset=utf-8')
        .send((await onThread(() => pool.run(task))) as unknown as Evaluation);
    },
  );
}
