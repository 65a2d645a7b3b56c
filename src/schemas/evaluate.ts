import { z } from 'zod';
import { jobSpecSchema } from './job-spec.ts';
import { named } from './openapi-registry.ts';
import { EVALUATE_EXAMPLES } from './request-examples.ts';

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
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional()
      .describe('Seed of seeded objectives (a rotated quadratic); default 0.'),
  }),
  'EvaluateRequest',
  undefined,
  EVALUATE_EXAMPLES,
);

/** The envelope checked before the objective is normalised (the objective itself by normalizeJobSpec). */
export const evaluateEnvelopeSchema = z.strictObject({
  objective: z.unknown(),
  x: z.array(z.number().refine(Number.isFinite, 'must be a finite number')).min(1),
  hessian: z.boolean().optional(),
  seed: z.unknown().optional(),
});

export const evaluateResponseSchema = named(
  z.object({
    f: z.number().nullable().describe('f(x); null when not finite.'),
    gradient: z.array(z.number().nullable()).describe('∇f(x); non-finite entries are null.'),
    hessian: z
      .array(z.array(z.number().nullable()))
      .optional()
      .describe('The rows of ∇²f(x), when requested and available.'),
    validation: z
      .object({ loss: z.number().nullable(), accuracy: z.number().nullable() })
      .optional()
      .describe(
        'Model objectives with validation rows: the validation loss (mean, without l2) and accuracy (classification) at x.',
      ),
  }),
  'Evaluation',
);
