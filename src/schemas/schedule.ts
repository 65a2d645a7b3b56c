/**
 * Learning-rate schedules (the `schedule` field of a job), discriminated by `type`. A schedule is a
 * factor on the base lr at the 0-based step index t; see src/core/schedules.ts for the formulas.
 * Parsing fills every default except `period` (cosine, one_cycle), which depends on the job's
 * `maxIterations` and is filled by {@link normalizeSchedule}.
 */
import { z } from 'zod';
import { defaultPeriod } from '../core/schedules.ts';
import type * as core from '../core/spec.ts';
import type { Agrees, Assert } from './agrees.ts';

function finite(field: string) {
  return z.number({ error: `${field} must be a finite number` });
}

function positiveInteger(field: string) {
  return finite(field).int(`${field} must be an integer`).min(1, `${field} must be at least 1`);
}

/** (0, 1] */
function decayFactor(field: string) {
  return finite(field).gt(0, `${field} must be in (0, 1]`).max(1, `${field} must be in (0, 1]`);
}

/** [0, 1] */
function fraction(field: string) {
  return finite(field).min(0, `${field} must be in [0, 1]`).max(1, `${field} must be in [0, 1]`);
}

export const warmupSchema = z
  .strictObject({
    steps: positiveInteger('steps').describe('Number of warmup steps.'),
    startFactor: fraction('startFactor').default(0.1).describe('Factor at t = 0, rising linearly to 1.'),
  })
  .describe('Linear warmup: startFactor + (1 − startFactor)·t/steps while t < steps.');

const warmup = warmupSchema.optional();

function period() {
  return positiveInteger('period')
    .optional()
    .describe('Length P in steps; defaults to maxIterations − warmup steps (at least 1).');
}

export const constantScheduleSchema = z.strictObject({
  type: z.literal('constant'),
  warmup,
});

export const stepScheduleSchema = z.strictObject({
  type: z.literal('step'),
  stepSize: positiveInteger('stepSize').default(100).describe('Steps between decays.'),
  gamma: decayFactor('gamma').default(0.1).describe('Factor applied every stepSize steps.'),
  warmup,
});

export const exponentialScheduleSchema = z.strictObject({
  type: z.literal('exponential'),
  gamma: decayFactor('gamma').default(0.99).describe('Factor applied every step.'),
  warmup,
});

export const cosineScheduleSchema = z.strictObject({
  type: z.literal('cosine'),
  period: period(),
  minFactor: fraction('minFactor').default(0).describe('Factor m reached at t = P.'),
  warmup,
});

export const inverseSqrtScheduleSchema = z.strictObject({
  type: z.literal('inverse_sqrt'),
  warmup,
});

export const oneCycleScheduleSchema = z.strictObject({
  type: z.literal('one_cycle'),
  peakFactor: finite('peakFactor')
    .min(1, 'peakFactor must be at least 1')
    .default(10)
    .describe('Peak factor.'),
  pctStart: finite('pctStart')
    .gt(0, 'pctStart must be in (0, 1)')
    .lt(1, 'pctStart must be in (0, 1)')
    .default(0.3)
    .describe('Fraction of the period spent rising to the peak.'),
  period: period(),
  warmup,
});

export const plateauScheduleSchema = z.strictObject({
  type: z.literal('plateau'),
  factor: finite('factor')
    .gt(0, 'factor must be in (0, 1)')
    .lt(1, 'factor must be in (0, 1)')
    .default(0.1)
    .describe('Multiplier applied when the watched value stops improving.'),
  patience: finite('patience')
    .int('patience must be an integer')
    .min(0, 'patience must be at least 0')
    .default(10)
    .describe('Observations without improvement tolerated before a reduction.'),
  threshold: finite('threshold')
    .min(0, 'threshold must be at least 0')
    .default(1e-4)
    .describe('Relative improvement needed: value < best − threshold·|best|.'),
  warmup,
});

export const SCHEDULE_TYPES = [
  'constant',
  'step',
  'exponential',
  'cosine',
  'inverse_sqrt',
  'one_cycle',
  'plateau',
] as const;

export type ScheduleType = core.ScheduleType;

export const scheduleSchema = z.discriminatedUnion('type', [
  constantScheduleSchema,
  stepScheduleSchema,
  exponentialScheduleSchema,
  cosineScheduleSchema,
  inverseSqrtScheduleSchema,
  oneCycleScheduleSchema,
  plateauScheduleSchema,
]);

export type ScheduleInput = z.input<typeof scheduleSchema>;
/** A parsed schedule: defaults filled, `period` possibly still absent (see normalizeSchedule). */
export type ScheduleSpec = core.ScheduleSpec;
export type WarmupSpec = core.WarmupSpec;

export type SchemasAgreeWithCore = [
  Assert<Agrees<z.output<typeof scheduleSchema>, core.ScheduleSpec>>,
  Assert<Agrees<z.output<typeof warmupSchema>, core.WarmupSpec>>,
  Assert<Agrees<(typeof SCHEDULE_TYPES)[number], core.ScheduleType>>,
];

/** The schedule of a job that names none. */
export const DEFAULT_SCHEDULE: ScheduleSpec = { type: 'constant' };

/**
 * Fills what parsing cannot: the `period` of cosine and one_cycle defaults to the job's
 * maxIterations less the warmup steps, at least 1 (defaultPeriod in src/core/schedules.ts), so
 * the anneal spans the steps after the warmup. Returns a new spec; the input is not modified.
 */
export function normalizeSchedule(spec: ScheduleSpec, maxIterations: number): ScheduleSpec {
  if ((spec.type === 'cosine' || spec.type === 'one_cycle') && spec.period === undefined) {
    return { ...spec, period: defaultPeriod(maxIterations, spec.warmup?.steps) };
  }
  return { ...spec };
}
