import { z } from 'zod';
import { deviceUnsupportedReason } from '../core/backends/device-problem.ts';
import { builtins, fillBuiltinParams } from '../core/objectives/builtins/index.ts';
import { expressionVariables } from '../core/objectives/expression/index.ts';
import { recordedPoints } from '../core/recording.ts';
import * as core from '../core/spec.ts';
import { nonFiniteStartValue } from '../core/start-value.ts';
import type { TabularDataset } from '../data/tabular.ts';
import type { Agrees, Assert } from './agrees.ts';
import { createBuiltinObjectiveSchema } from './builtin-objective.ts';
import { createExpressionObjectiveSchema } from './expression-objective.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import {
  epochStride,
  type ModelDataContext,
  modelObjectiveSchema,
  normalizeModelObjective,
} from './model-objective.ts';
import { optimizerSchema } from './optimizer.ts';
import { type FieldError, fieldErrorsFromZod } from './problem.ts';
import { normalizeSchedule, scheduleSchema } from './schedule.ts';
import { type WebhookSpec, webhookSpecSchema } from './webhook.ts';

/**
 * The job spec of API.md (request body of POST /v1/jobs, input of `descent run`), and its
 * normalisation: every default filled in and the seed resolved, so that the normalised spec
 * alone determines the run bit for bit.
 */

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

/** Dimension above which records default to not carrying `x` (a point per iteration would be huge). */
const RECORD_PARAMS_MAX_DIM = 100;

export function createJobSpecSchema(limits: Limits = DEFAULT_LIMITS) {
  const objective = z.discriminatedUnion('type', [
    createBuiltinObjectiveSchema({ maxDim: limits.maxDim }),
    createExpressionObjectiveSchema({
      maxExpressionLength: limits.maxExpressionLength,
      maxDepth: limits.maxExpressionDepth,
    }),
    modelObjectiveSchema,
  ]);

  const start = z.union([
    z.strictObject({ x0: z.array(finite()).min(1).max(limits.maxDim) }),
    z.strictObject({
      random: z.strictObject({
        distribution: z.enum(['normal', 'uniform']).default('normal'),
        scale: z.number().positive().finite().default(1),
      }),
    }),
    // The objective's standard start point, named rather than inlined when dim > inlineParamsMaxDim.
    z.strictObject({ standard: z.literal(true) }),
  ]);

  const stop = z.strictObject({
    maxIterations: z.number().int().min(0).max(limits.maxIterations).default(1000),
    gradTol: z.number().min(0).finite().default(1e-8),
    // null disables the rule; 0 (the default) stops only when f is exactly unchanged.
    fTol: z.number().min(0).finite().nullable().default(0),
    targetValue: finite().nullable().default(null),
    maxSeconds: z.number().positive().max(limits.maxSeconds).default(Math.min(60, limits.maxSeconds)),
    patience: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Model objectives with validation rows: stop (early_stopped) after this many validation evaluations ' +
          '(recorded points, about one per epoch by default) in a row without a lower validation loss.',
      ),
  });

  const record = z.strictObject({
    every: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Record every n-th iteration (and the final one). Default 1; for model objectives about once per epoch.',
      ),
    params: z.boolean().optional(),
    maxPoints: z.number().int().min(2).max(limits.maxPoints).default(Math.min(10_000, limits.maxPoints)),
  });

  return z.strictObject({
    objective,
    optimizer: optimizerSchema,
    schedule: scheduleSchema.default({ type: 'constant' }),
    start: start.optional(),
    stop: stop.default(stop.parse({})),
    gradientNoise: z
      .strictObject({ std: z.number().min(0).finite() })
      .nullable()
      .default(null),
    record: record.optional(),
    device: z
      .enum(['cpu', 'gpu', 'auto'])
      .default('auto')
      .describe(
        'Where the run executes. cpu: the CPU core, float64. gpu: a GPU worker, float32 (first-order ' +
          'optimizers on the builtins of any dimension and on the models, on the same batches as the CPU; ' +
          'newton, lbfgs, expressions, the 2-D builtins and gradientNoise are a 400); the job waits until a ' +
          'GPU worker takes it. auto: a GPU only where it pays (a builtin of dimension >= GPU_AUTO_MIN_DIM, a ' +
          'model of rows per batch × parameters >= GPU_AUTO_MIN_MODEL_WORK, a spec the GPU runs, a hardware ' +
          'GPU worker seen recently), else the CPU.',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    label: z.string().max(200).nullable().optional(),
    webhook: webhookSpecSchema.optional(),
  });
}

export const jobSpecSchema = createJobSpecSchema();
export type JobSpecInput = z.input<typeof jobSpecSchema>;
type ParsedJobSpec = z.output<typeof jobSpecSchema>;

/** The core's spec, plus the service's own `webhook` (present only when given). */
export type JobSpec = core.JobSpec & { webhook?: WebhookSpec };
export type ObjectiveSpec = core.ObjectiveSpec;
export type StartSpec = core.StartSpec;

export type SchemasAgreeWithCore = [
  Assert<Agrees<ParsedJobSpec['stop'], core.StopSpec>>,
  Assert<Agrees<ParsedJobSpec['device'], core.Device>>,
  Assert<Agrees<Exclude<ParsedJobSpec['start'], undefined>, core.StartSpec>>,
  Assert<Agrees<ParsedJobSpec['gradientNoise'], core.JobSpec['gradientNoise']>>,
];

export type NormalizeResult =
  | {
      ok: true;
      spec: JobSpec;
      /** A model's inline rows, parsed (the API stores them as a data set; `descent run` trains on them). */
      inlineData?: TabularDataset;
    }
  | { ok: false; errors: FieldError[] };

export interface NormalizeOptions {
  limits?: Limits;
  /** Draws the seed when the spec has none (the server's choice, reported in the normalised spec). */
  drawSeed?: () => number;
  /**
   * Refuse a spec whose f is not finite at the start (default true): its run could only end
   * `diverged` at iteration 0. POST /v1/evaluate turns it off (a non-finite f is an answer there).
   */
  checkStartValue?: boolean;
  /** Model objectives: the shapes of stored data sets, and the cap of inline data. */
  models?: ModelDataContext;
}

/** Building the zod schema costs ~1.7 ms: one per limits object, reused by every request. */
const schemasByLimits = new WeakMap<Limits, ReturnType<typeof createJobSpecSchema>>([
  [DEFAULT_LIMITS, jobSpecSchema],
]);

function schemaFor(limits: Limits): ReturnType<typeof createJobSpecSchema> {
  let schema = schemasByLimits.get(limits);
  if (schema === undefined) {
    schema = createJobSpecSchema(limits);
    schemasByLimits.set(limits, schema);
  }
  return schema;
}

function drawRandomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Validates `input` and fills every default; errors name the offending field path. */
export function normalizeJobSpec(input: unknown, options: NormalizeOptions = {}): NormalizeResult {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const schema = schemaFor(limits);
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error) };
  const spec = parsed.data;
  const errors: FieldError[] = [];

  let objective: ObjectiveSpec;
  let model: Extract<ReturnType<typeof normalizeModelObjective>, { ok: true }> | null = null;
  if (spec.objective.type === 'builtin') {
    const definition = builtins[spec.objective.name];
    objective = {
      ...spec.objective,
      dim: spec.objective.dim ?? definition.defaultDim,
      params: fillBuiltinParams(spec.objective.name, spec.objective.params),
    };
  } else if (spec.objective.type === 'model') {
    const normalized = normalizeModelObjective(spec.objective, options.models ?? {});
    if (!normalized.ok) return normalized;
    model = normalized;
    objective = normalized.objective;
  } else {
    objective = { ...spec.objective, variables: expressionVariables(spec.objective) };
  }
  const dim = core.objectiveDim(objective);
  if (dim < 1) errors.push({ path: 'objective.expression', message: 'the expression has no variables' });
  if (dim > limits.maxDim) {
    errors.push({ path: 'objective', message: `dimension ${dim} exceeds the limit of ${limits.maxDim}` });
  }

  let start: StartSpec;
  if (spec.start === undefined && objective.type === 'model') {
    // Seeded Glorot weights (MLP) or zeros, made by the run from the seed: named, not inlined.
    start = { standard: true };
  } else if (spec.start === undefined) {
    start =
      objective.type === 'builtin' && dim <= limits.inlineParamsMaxDim
        ? { x0: Array.from(builtins[objective.name].defaultStart(dim, objective.params)) }
        : objective.type === 'builtin'
          ? { standard: true }
          : { x0: new Array<number>(dim).fill(0) };
  } else {
    start = spec.start;
    if ('x0' in start && start.x0.length !== dim) {
      errors.push({
        path: 'start.x0',
        message: `has ${start.x0.length} entries; the objective has dimension ${dim}`,
      });
    }
  }

  const optimizer = spec.optimizer;
  if (optimizer.name === 'newton' && objective.type === 'model' && objective.model === 'mlp') {
    errors.push({
      path: 'optimizer.name',
      message:
        'newton needs a Hessian, and the mlp has none in closed form: use lbfgs (or a first-order optimizer)',
    });
  }
  if (spec.stop.patience !== null && objective.type !== 'model') {
    errors.push({
      path: 'stop.patience',
      message: 'applies to model objectives only (it counts validation evaluations)',
    });
  } else if (
    spec.stop.patience !== null &&
    objective.type === 'model' &&
    objective.validationFraction === 0
  ) {
    errors.push({
      path: 'stop.patience',
      message: 'needs validation rows, and objective.validationFraction is 0',
    });
  }
  if (optimizer.name === 'newton' && dim > limits.newtonMaxDim) {
    errors.push({
      path: 'optimizer.name',
      message: `newton needs a dense Hessian; dimension ${dim} exceeds its limit of ${limits.newtonMaxDim}`,
    });
  }

  const defaultEvery = model === null ? 1 : epochStride(model.objective, model.shape);
  const record = {
    every: spec.record?.every ?? defaultEvery,
    params: spec.record?.params,
    maxPoints: spec.record?.maxPoints ?? Math.min(10_000, limits.maxPoints),
  };
  const recordParams = record.params ?? dim <= RECORD_PARAMS_MAX_DIM;
  if (recordParams) {
    const points = recordedPoints(record.every, spec.stop.maxIterations, record.maxPoints);
    if (points * dim > limits.maxRecordedNumbers) {
      errors.push({
        path: 'record.params',
        message:
          `recording x for up to ${points} points of dimension ${dim} is ${points * dim} numbers, over the ` +
          `limit of ${limits.maxRecordedNumbers}: record fewer points (record.maxPoints, record.every) or set ` +
          'record.params to false',
      });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  const normalized: JobSpec = {
    objective,
    optimizer,
    schedule: normalizeSchedule(spec.schedule, spec.stop.maxIterations),
    start,
    stop: spec.stop,
    gradientNoise: spec.gradientNoise,
    record: {
      every: record.every,
      params: recordParams,
      maxPoints: record.maxPoints,
    },
    device: spec.device,
    seed: spec.seed ?? (options.drawSeed ?? drawRandomSeed)(),
    label: spec.label ?? null,
    ...(spec.webhook === undefined ? {} : { webhook: spec.webhook }),
  };
  const deviceError = deviceFieldError(normalized);
  if (deviceError !== null) return { ok: false, errors: [deviceError] };
  if (options.checkStartValue ?? true) {
    const error = startValueError(normalized, spec.start !== undefined && 'x0' in spec.start);
    if (error !== null) return { ok: false, errors: [error] };
  }
  return model?.inline
    ? { ok: true, spec: normalized, inlineData: model.inline }
    : { ok: true, spec: normalized };
}

/**
 * `device: "gpu"` for a spec that cannot run on a device (Newton, L-BFGS, expressions, the 2-D
 * builtins, gradient noise: deviceUnsupportedReason; models with a first-order optimizer run there) is refused rather than run elsewhere: the
 * caller asked for float32 on a GPU. `auto` never is: it runs such a spec on the CPU.
 */
function deviceFieldError(spec: JobSpec): FieldError | null {
  if (spec.device !== 'gpu') return null;
  const reason = deviceUnsupportedReason(spec);
  if (reason === null) return null;
  return {
    path: 'device',
    message: `"gpu" is not available for this spec: ${reason}; use "cpu", or "auto" to run it where it can`,
  };
}

/**
 * The field error for a start where f is not finite (see nonFiniteStartValue: one evaluation of
 * f, without compiling an expression or building a rotation), or null.
 */
function startValueError(spec: JobSpec, givenX0: boolean): FieldError | null {
  const f = nonFiniteStartValue(spec);
  if (f === null) return null;
  const value = `f(x₀) = ${f}`;
  if (givenX0) {
    return {
      path: 'start.x0',
      message: `f is not finite at start.x0 (${value}), so the run could not take a step: choose a start.x0 where f is defined`,
    };
  }
  const start = spec.start;
  // A builtin's standard start is never refused (see nonFiniteStartValue): x0 or a random draw.
  const where =
    'x0' in start
      ? `the default start x₀ = (${start.x0.length <= 4 ? start.x0.join(', ') : `${start.x0.slice(0, 3).join(', ')}, …`})`
      : `the random start drawn with seed ${spec.seed}`;
  return {
    path: 'start',
    message: `f is not finite at ${where} (${value}), so the run could not take a step: give a start where f is defined with start.x0`,
  };
}
