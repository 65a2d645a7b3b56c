/**
 * Optimizer specs (the `optimizer` field of a job), discriminated by `name`.
 * Parsing normalises: every parameter not given is filled with its default, so a stored job spec
 * says exactly what ran. Bounds and defaults live here only; the catalog
 * (src/schemas/optimizer-catalog.ts) reads them back from this schema.
 */
import { z } from 'zod';
import type * as core from '../core/spec.ts';
import type { Agrees, Assert } from './agrees.ts';
// The project's wording of zod's issues, for parses of this schema on its own too.
import './issue-messages.ts';

/** A finite number; NaN and ±Infinity are rejected with a message naming the field. */
function finite(field: string) {
  return z.number({ error: `${field} must be a finite number` });
}

/** (0, ∞) */
function positive(field: string) {
  return finite(field).gt(0, `${field} must be greater than 0`);
}

/** [0, ∞) */
function nonNegative(field: string) {
  return finite(field).min(0, `${field} must be at least 0`);
}

/** [0, 1): decay rates of moving averages. */
function decayRate(field: string) {
  return finite(field).min(0, `${field} must be in [0, 1)`).lt(1, `${field} must be in [0, 1)`);
}

function learningRate(defaultValue: number) {
  return positive('lr').default(defaultValue).describe('Base learning rate α; the schedule scales it.');
}

function epsilon() {
  return nonNegative('eps').default(1e-8).describe('ε added for numerical stability.');
}

/** Every optimizer accepts `clipNorm`: the run loop rescales g to this norm when it is longer. */
const clipNorm = positive('clipNorm')
  .optional()
  .describe('Clip the gradient to this Euclidean norm before the update (rescale when longer).');

export const sgdSchema = z.strictObject({
  name: z.literal('sgd'),
  lr: learningRate(0.01),
  clipNorm,
});

export const momentumSchema = z.strictObject({
  name: z.literal('momentum'),
  lr: learningRate(0.01),
  rho: decayRate('rho').default(0.9).describe('Momentum coefficient ρ.'),
  nesterov: z.boolean().default(false).describe('Use Nesterov accelerated gradient (look-ahead form).'),
  clipNorm,
});

export const adagradSchema = z.strictObject({
  name: z.literal('adagrad'),
  lr: learningRate(0.01),
  eps: epsilon(),
  clipNorm,
});

export const rmspropSchema = z.strictObject({
  name: z.literal('rmsprop'),
  lr: learningRate(0.001),
  beta: decayRate('beta').default(0.9).describe('Decay β of the running mean of g².'),
  eps: epsilon(),
  clipNorm,
});

const adamFields = {
  lr: learningRate(0.001),
  beta1: decayRate('beta1').default(0.9).describe('Decay β₁ of the first moment m.'),
  beta2: decayRate('beta2').default(0.999).describe('Decay β₂ of the second moment v.'),
  eps: epsilon(),
  amsgrad: z
    .boolean()
    .default(false)
    .describe('AMSGrad: divide by the running maximum of the bias-corrected v̂.'),
};

export const adamSchema = z.strictObject({
  name: z.literal('adam'),
  ...adamFields,
  clipNorm,
});

export const adamwSchema = z.strictObject({
  name: z.literal('adamw'),
  ...adamFields,
  weightDecay: nonNegative('weightDecay')
    .default(0.01)
    .describe('Decoupled weight decay λ: θ ← θ(1 − α·λ) before the Adam step.'),
  clipNorm,
});

export const NEWTON_HESSIAN_MODES = ['exact', 'damped', 'saddle_free'] as const;
export const NEWTON_LINE_SEARCHES = ['none', 'backtracking'] as const;

export const newtonSchema = z.strictObject({
  name: z.literal('newton'),
  lr: learningRate(1),
  hessian: z
    .enum(NEWTON_HESSIAN_MODES)
    .default('exact')
    .describe('exact: H; damped: H + λI; saddle_free: |H| = V|Λ|Vᵀ (eigenvalues floored at λ).'),
  damping: nonNegative('damping').default(1e-4).describe('λ for the damped and saddle-free Hessians.'),
  lineSearch: z
    .enum(NEWTON_LINE_SEARCHES)
    .default('backtracking')
    .describe('backtracking: Armijo (c₁ = 1e-4) halving from lr; none: θ ← θ + lr·d.'),
  clipNorm,
});

export const LBFGS_LINE_SEARCHES = ['strong_wolfe', 'none'] as const;

export const lbfgsSchema = z.strictObject({
  name: z.literal('lbfgs'),
  lr: learningRate(1),
  history: finite('history')
    .int('history must be an integer')
    .min(1, 'history must be between 1 and 100')
    .max(100, 'history must be between 1 and 100')
    .default(10)
    .describe('Number of (s, y) pairs kept.'),
  lineSearch: z
    .enum(LBFGS_LINE_SEARCHES)
    .default('strong_wolfe')
    .describe('strong_wolfe: c₁ = 1e-4, c₂ = 0.9, starting at lr; none: θ ← θ + lr·d.'),
  clipNorm,
});

export const OPTIMIZER_NAMES = [
  'sgd',
  'momentum',
  'adagrad',
  'rmsprop',
  'adam',
  'adamw',
  'newton',
  'lbfgs',
] as const;

/** Every optimizer, in catalog order. */
export const optimizerSchemas = [
  sgdSchema,
  momentumSchema,
  adagradSchema,
  rmspropSchema,
  adamSchema,
  adamwSchema,
  newtonSchema,
  lbfgsSchema,
] as const;

export const optimizerSchema = z.discriminatedUnion('name', optimizerSchemas);

/** What a client may send (defaults optional). */
export type OptimizerInput = z.input<typeof optimizerSchema>;
/** The normalised spec (every default filled in) is the core's type; the schema produces it. */
export type OptimizerSpec = core.OptimizerSpec;
export type OptimizerName = core.OptimizerName;

export type SchemasAgreeWithCore = [
  Assert<Agrees<z.output<typeof optimizerSchema>, core.OptimizerSpec>>,
  Assert<Agrees<z.output<typeof sgdSchema>, core.SgdSpec>>,
  Assert<Agrees<z.output<typeof momentumSchema>, core.MomentumSpec>>,
  Assert<Agrees<z.output<typeof adagradSchema>, core.AdagradSpec>>,
  Assert<Agrees<z.output<typeof rmspropSchema>, core.RmspropSpec>>,
  Assert<Agrees<z.output<typeof adamSchema>, core.AdamSpec>>,
  Assert<Agrees<z.output<typeof adamwSchema>, core.AdamwSpec>>,
  Assert<Agrees<z.output<typeof newtonSchema>, core.NewtonSpec>>,
  Assert<Agrees<z.output<typeof lbfgsSchema>, core.LbfgsSpec>>,
  Assert<Agrees<(typeof OPTIMIZER_NAMES)[number], core.OptimizerName>>,
];
