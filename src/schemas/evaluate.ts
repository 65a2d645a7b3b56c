import { z } from 'zod';
import { jobSpecSchema } from './job-spec.ts';
import { named } from './openapi-registry.ts';
import { EVALUATE_EXAMPLES } from './request-examples.ts';

/**
 * POST /v1/evaluate, in two forms:
 * - the point form `{objective, x}`: f, ∇f and optionally ∇²f of an objective at one point;
 * - the grid form `{objective, grid: {x: [lo, hi, nx], y: [lo, hi, ny]}}`: f of a 2-D objective
 *   on an nx × ny grid, for contour plots. The answer `{f}` is row-major with x varying fastest:
 *   f[j·nx + i] = f(xᵢ, yⱼ), xᵢ = lo + i·(hi − lo)/(nx − 1), yⱼ likewise; null where f is not finite.
 */

/** Dense Hessians above this dimension are refused (dim² numbers in one response). */
export const EVALUATE_HESSIAN_MAX_DIM = 1000;
/** Without an explicit `hessian` flag, the Hessian is included up to this dimension. */
export const EVALUATE_HESSIAN_DEFAULT_MAX_DIM = 100;
/** nx·ny of the grid form: 512 × 512, a few MB of JSON. */
export const EVALUATE_GRID_MAX_POINTS = 262_144;

export const objectiveSchema = named(
  jobSpecSchema.shape.objective,
  'Objective',
  'An objective, discriminated by `type`.',
);

const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .optional()
  .describe('Seed of seeded objectives (a rotated quadratic); default 0.');

export const evaluatePointBodySchema = named(
  z.strictObject({
    objective: objectiveSchema,
    x: z.array(z.number()).min(1).describe('The point; its length is the dimension.'),
    hessian: z
      .boolean()
      .optional()
      .describe(
        `Include the Hessian (default: when dim <= ${EVALUATE_HESSIAN_DEFAULT_MAX_DIM}; refused above ${EVALUATE_HESSIAN_MAX_DIM}).`,
      ),
    seed: seedSchema,
  }),
  'EvaluatePointRequest',
  'f, ∇f and optionally ∇²f at one point.',
);

/** One axis of the grid: `[lo, hi, n]`, lo < hi finite, n >= 2 samples including both ends. */
const gridAxisSchema = z
  .tuple([
    z.number().refine(Number.isFinite, 'must be a finite number'),
    z.number().refine(Number.isFinite, 'must be a finite number'),
    z.number().int('must be an integer').min(2, 'must be at least 2'),
  ])
  .refine(([lo, hi]) => lo < hi, { message: 'must be greater than the lower end', path: [1] });

export const evaluateGridSchema = z
  .strictObject({
    x: gridAxisSchema.describe('[lo, hi, nx]: nx samples of the first variable, both ends included.'),
    y: gridAxisSchema.describe('[lo, hi, ny]: ny samples of the second variable, both ends included.'),
  })
  .superRefine(({ x, y }, ctx) => {
    if (x[2] * y[2] > EVALUATE_GRID_MAX_POINTS) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `nx·ny = ${x[2] * y[2]} points exceeds the limit of ${EVALUATE_GRID_MAX_POINTS}`,
      });
    }
  });

export const evaluateGridBodySchema = named(
  z.strictObject({
    objective: objectiveSchema,
    grid: evaluateGridSchema.describe(
      `The grid (nx·ny <= ${EVALUATE_GRID_MAX_POINTS}) of a 2-D objective; a builtin without \`dim\` is 2-D.`,
    ),
    seed: seedSchema,
  }),
  'EvaluateGridRequest',
  'f on a grid of a 2-D objective, for contour plots.',
);

export const evaluateBodySchema = named(
  z.union([evaluatePointBodySchema, evaluateGridBodySchema]),
  'EvaluateRequest',
  'The point form `{objective, x}` or the grid form `{objective, grid}`.',
  EVALUATE_EXAMPLES,
);

/** The point form's envelope, checked before the objective is normalised (the objective itself by normalizeJobSpec). */
export const evaluateEnvelopeSchema = z.strictObject({
  objective: z.unknown(),
  x: z.array(z.number().refine(Number.isFinite, 'must be a finite number')).min(1),
  hessian: z.boolean().optional(),
  seed: z.unknown().optional(),
});

/** The grid form's envelope (the objective is normalised after it). */
export const evaluateGridEnvelopeSchema = z.strictObject({
  objective: z.unknown(),
  grid: evaluateGridSchema,
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
  }),
  'Evaluation',
);

export const evaluateGridResponseSchema = named(
  z.object({
    f: z
      .array(z.number().nullable())
      .describe(
        'nx·ny values, row-major with x fastest: f[j·nx + i] = f(xᵢ, yⱼ), xᵢ = lo + i·(hi − lo)/(nx − 1); ' +
          'null where f is not finite.',
      ),
  }),
  'GridEvaluation',
);
