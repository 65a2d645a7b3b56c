import { z } from 'zod';
import { jobSpecSchema } from './job-spec.ts';
import { named } from './openapi-registry.ts';

/** POST /v1/evaluate: f, ∇f and optionally ∇²f of an objective at one point. */

/** Dense Hessians above this dimension are refused (dim² numbers in one response). */
export const EVALUATE_HESSIAN_MAX_DIM = 1000;
/** Without an explicit `hessian` flag, the Hessian is included up to this dimension. */
export const EVALUATE_HESSIAN_DEFAULT_MAX_DIM = 100;

export const objectiveSchema = named(
  jobSpecSchema.shape.objective,
  'Objective',
  'An objective, discriminated by `type`.',
);

export const evaluateBodySchema = named(
  z.strictObject({
    objective: objectiveSchema,
    x: z.array(z.number()).min(1).describe('The point; its length is the dimension.'),
    hessian: z
      .boolean()
      .optional()
      .describe(
        `Include the Hessian (default: when dim <= ${EVALUATE_HESSIAN_DEFAULT_MAX_DIM}; refused above ${EVALUATE_HESSIAN_MAX_DIM}).`,
      ),
  }),
  'EvaluateRequest',
);

/** The envelope checked before the objective is normalised (the objective itself by normalizeJobSpec). */
export const evaluateEnvelopeSchema = z.strictObject({
  objective: z.unknown(),
  x: z.array(z.number().refine(Number.isFinite, 'must be a finite number')).min(1),
  hessian: z.boolean().optional(),
});

export const evaluateResponseSchema = named(
  z.object({
    f: z.number(),
    gradient: z.array(z.number()),
    hessian: z.array(z.array(z.number())).optional().describe('Row-major rows of ∇²f(x), when requested and available.'),
  }),
  'Evaluation',
);
