import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { builtins } from '../../core/objectives/builtins/index.ts';
import {
  EVALUATE_HESSIAN_DEFAULT_MAX_DIM,
  EVALUATE_HESSIAN_MAX_DIM,
  evaluateBodySchema,
  evaluateEnvelopeSchema,
  evaluateResponseSchema,
} from '../../schemas/evaluate.ts';
import { normalizeJobSpec } from '../../schemas/job-spec.ts';
import { type FieldError, fieldErrorsFromZod } from '../../schemas/problem.ts';
import { jsonResponse, problemResponses } from '../../schemas/problem-document.ts';
import { type Evaluation, type EvaluationTask, evaluateObjective } from '../evaluate/evaluation.ts';
import { createEvaluatePool, EvaluationQueueFull, evaluatesInline } from '../evaluate/pool.ts';
import { BEARER_OPTIONAL } from '../plugins/auth.ts';
import { badRequest, HttpProblem, problem } from '../plugins/error-handler.ts';
import { passThroughBody } from '../plugins/zod.ts';

/** Reports a job-spec path of the wrapped request under the evaluate body's names. */
function toEvaluatePath(error: FieldError): FieldError {
  return { ...error, path: error.path.replace(/^start\.x0/, 'x') };
}

/**
 * POST /v1/evaluate: f, ∇f and ∇²f of an objective at a point, for checking an objective.
 * Validation runs here; the computation runs on the event loop only when it is small, on an
 * evaluation thread otherwise (src/api/evaluate/pool.ts).
 */
export default async function evaluateRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const pool = createEvaluatePool();
  app.addHook('onClose', async () => pool.close());

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
          'validated exactly as in a job spec; for a builtin without `dim`, the dimension is the length of `x`.',
        security: BEARER_OPTIONAL,
        body: evaluateBodySchema,
        response: {
          200: jsonResponse(evaluateResponseSchema, 'f, the gradient and (when requested) the Hessian at x.'),
          ...problemResponses(400, 401, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
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
      const normalized = normalizeJobSpec(
        { objective, optimizer: { name: 'sgd' }, start: { x0: x }, seed: seed ?? 0 },
        // A non-finite f is an answer here (null), not an invalid request.
        { limits: app.config.limits, checkStartValue: false },
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
      if (evaluatesInline(task)) return evaluateObjective(task);
      let json: string;
      try {
        json = await pool.run(task);
      } catch (error) {
        if (!(error instanceof EvaluationQueueFull)) throw error;
        throw new HttpProblem(problem(429, 'rate-limited', 'Too many requests', error.message), {
          'retry-after': '1',
        });
      }
      // Serialised on the thread (a dim² Hessian is megabytes of JSON): Fastify sends a JSON
      // string as it is, without the response serializer.
      return reply.type('application/json; charset=utf-8').send(json as unknown as Evaluation);
    },
  );
}
