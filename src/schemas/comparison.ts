import { z } from 'zod';
import type { OptimizerSpec, ScheduleSpec } from '../core/spec.ts';
import type { TabularDataset } from '../data/tabular.ts';
import { type JobSpec, jobSpecSchema, type NormalizeOptions, normalizeJobSpec } from './job-spec.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { optimizerSchema } from './optimizer.ts';
import { optimizerCatalog } from './optimizer-catalog.ts';
import { type FieldError, fieldErrorsFromZod } from './problem.ts';
import { scheduleSchema } from './schedule.ts';
import { webhookSpecSchema } from './webhook.ts';

/**
 * The comparison spec (request body of POST /v1/comparisons; README "Comparisons and sweeps"): one
 * objective and its shared settings, and either a list of runs or a sweep of one numeric
 * optimizer parameter. `normalizeComparisonSpec` expands it into one normalised job spec per run
 * (the shared fields, the run's optimizer and schedule, the same resolved seed), each validated
 * as POST /v1/jobs validates a spec, with error paths named in the comparison's terms
 * (`runs[2].optimizer.lr`, `sweep.values[3]`, `sweep.param`).
 */

export const MAX_COMPARISON_RUNS = 50;

const runLabel = z.string().max(200);

const runSchema = z.strictObject({
  optimizer: optimizerSchema,
  schedule: scheduleSchema.optional(),
  label: runLabel.optional().describe('Default: the optimizer name (with #k when two runs share it).'),
});

const positiveFinite = z.number().positive().finite();

const sweepSchema = z
  .strictObject({
    optimizer: optimizerSchema.describe(
      'The optimizer whose `param` is swept; its other parameters are shared.',
    ),
    schedule: scheduleSchema.optional(),
    param: z
      .string()
      .describe('A numeric parameter of the optimizer (GET /v1/catalog/optimizers lists them): lr, beta1, …'),
    values: z
      .array(z.number())
      .min(1)
      .max(MAX_COMPARISON_RUNS)
      .optional()
      .describe('The values, one run each.'),
    logspace: z
      .tuple([positiveFinite, positiveFinite, z.number().int().min(1).max(MAX_COMPARISON_RUNS)])
      .optional()
      .describe('`[lo, hi, n]`: n values spaced evenly in log scale from lo to hi, both included.'),
  })
  .describe(
    'Runs over one optimizer parameter: give `values` or `logspace`. Labels read "<optimizer> <param>=<value>".',
  );

/** The request body as the OpenAPI document shows it. */
export const comparisonSpecSchema = jobSpecSchema
  .omit({ optimizer: true, schedule: true, label: true, webhook: true })
  .extend({
    runs: z.array(runSchema).min(1).max(MAX_COMPARISON_RUNS).optional().describe('Give `runs` or `sweep`.'),
    sweep: sweepSchema.optional(),
    label: z.string().max(200).nullable().optional().describe('Filterable (GET /v1/comparisons?label=).'),
    webhook: webhookSpecSchema.optional(),
  });

/**
 * The body's outline, checked before any run is: the shared fields pass through (each run's
 * normalisation checks them), the runs' optimizers and schedules too.
 */
const outlineSchema = z.strictObject({
  objective: z.unknown(),
  start: z.unknown().optional(),
  stop: z.unknown().optional(),
  record: z.unknown().optional(),
  seed: z.unknown().optional(),
  gradientNoise: z.unknown().optional(),
  device: z.unknown().optional(),
  runs: z
    .array(
      z.strictObject({
        optimizer: z.unknown(),
        schedule: z.unknown().optional(),
        label: runLabel.optional(),
      }),
    )
    .min(1)
    .max(MAX_COMPARISON_RUNS)
    .optional(),
  sweep: z
    .strictObject({
      optimizer: z.unknown(),
      schedule: z.unknown().optional(),
      param: z.string().min(1).max(100),
      values: sweepSchema.shape.values,
      logspace: sweepSchema.shape.logspace,
    })
    .optional(),
  label: z.string().max(200).nullable().optional(),
  webhook: z.unknown().optional(),
});

export interface ComparisonRunSpec {
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  label: string;
}

/** The normalised comparison spec (`spec` of the Comparison resource). */
export interface ComparisonSpec {
  objective: JobSpec['objective'];
  start: JobSpec['start'];
  stop: JobSpec['stop'];
  record: JobSpec['record'];
  seed: number;
  gradientNoise: JobSpec['gradientNoise'];
  device: JobSpec['device'];
  runs: ComparisonRunSpec[];
  sweep: { optimizer: OptimizerSpec; param: string; values: number[] } | null;
  webhook?: { url: string };
}

export type NormalizeComparisonResult =
  | {
      ok: true;
      spec: ComparisonSpec;
      label: string | null;
      members: JobSpec[];
      /** A model's inline rows, shared by every member (the API stores them once, as a data set). */
      inlineData?: TabularDataset;
    }
  | { ok: false; errors: FieldError[] };

/** `n` values from lo to hi (both exact), evenly spaced in log scale, to 12 significant digits. */
export function logspace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  const a = Math.log10(lo);
  const step = (Math.log10(hi) - a) / (n - 1);
  return Array.from({ length: n }, (_, k) =>
    k === 0 ? lo : k === n - 1 ? hi : Number((10 ** (a + k * step)).toPrecision(12)),
  );
}

/** A sweep value in a label: at most 6 significant digits (`adam lr=0.000316228`). */
function formatValue(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** The numeric parameters of an optimizer, from the catalog (what a sweep may vary). */
export function numericParameters(name: string): string[] | null {
  const entry = optimizerCatalog().find((candidate) => candidate.name === name);
  if (entry === undefined) return null;
  return entry.parameters
    .filter((parameter) => parameter.type === 'number' || parameter.type === 'integer')
    .map((parameter) => parameter.name);
}

interface ExpandedRun {
  optimizer: unknown;
  schedule: unknown;
  label: string;
  /** Where a run's own errors go: `runs[k]`, or the sweep. */
  path: (memberPath: string) => string;
}

function expandRuns(
  outline: z.output<typeof outlineSchema>,
  errors: FieldError[],
): { runs: ExpandedRun[]; sweep: { optimizer: unknown; param: string; values: number[] } | null } {
  if (outline.runs !== undefined) {
    const names = outline.runs.map((run) =>
      String((run.optimizer as { name?: unknown } | null)?.name ?? 'run'),
    );
    const seen = new Map<string, number>();
    const runs = outline.runs.map((run, k) => {
      const name = names[k];
      const occurrence = (seen.get(name) ?? 0) + 1;
      seen.set(name, occurrence);
      const shared = names.filter((other) => other === name).length > 1;
      return {
        optimizer: run.optimizer,
        schedule: run.schedule,
        label: run.label ?? (shared ? `${name} #${occurrence}` : name),
        path: (memberPath: string) => `runs[${k}].${memberPath}`,
      };
    });
    return { runs, sweep: null };
  }
  const sweep = outline.sweep;
  if (sweep === undefined) return { runs: [], sweep: null };
  if ((sweep.values === undefined) === (sweep.logspace === undefined)) {
    errors.push({ path: 'sweep', message: 'give exactly one of values and logspace' });
    return { runs: [], sweep: null };
  }
  const name = (sweep.optimizer as { name?: unknown } | null)?.name;
  const allowed = typeof name === 'string' ? numericParameters(name) : null;
  if (allowed !== null && !allowed.includes(sweep.param)) {
    errors.push({
      path: 'sweep.param',
      message: `'${sweep.param}' is not a numeric parameter of ${name}; one of: ${allowed.join(', ')}`,
    });
    return { runs: [], sweep: null };
  }
  const values = sweep.values ?? logspace(...(sweep.logspace as [number, number, number]));
  const optimizer = typeof sweep.optimizer === 'object' && sweep.optimizer !== null ? sweep.optimizer : {};
  const runs = values.map((value, k) => ({
    optimizer: { ...optimizer, [sweep.param]: value },
    schedule: sweep.schedule,
    label: `${String(name)} ${sweep.param}=${formatValue(value)}`,
    path: (memberPath: string) =>
      memberPath === `optimizer.${sweep.param}`
        ? sweep.values !== undefined
          ? `sweep.values[${k}]`
          : 'sweep.logspace'
        : `sweep.${memberPath}`,
  }));
  return { runs, sweep: { optimizer: sweep.optimizer, param: sweep.param, values } };
}

/**
 * Validates a comparison body and expands it into its members' normalised job specs; errors name
 * paths in the body. The seed is resolved once (drawn when absent), so every member starts from
 * the same point and draws the same noise.
 */
export function normalizeComparisonSpec(
  input: unknown,
  options: NormalizeOptions = {},
): NormalizeComparisonResult {
  const parsed = outlineSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error) };
  const outline = parsed.data;
  const errors: FieldError[] = [];
  if ((outline.runs === undefined) === (outline.sweep === undefined)) {
    errors.push({
      path: outline.runs === undefined ? 'runs' : 'sweep',
      message: 'give exactly one of runs and sweep',
    });
    return { ok: false, errors };
  }
  const { runs, sweep } = expandRuns(outline, errors);
  if (errors.length > 0) return { ok: false, errors };

  const drawSeed = options.drawSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]);
  const seed = outline.seed === undefined ? drawSeed() : outline.seed;
  const shared: Record<string, unknown> = { objective: outline.objective, seed };
  for (const key of ['start', 'stop', 'record', 'gradientNoise', 'device'] as const) {
    if (outline[key] !== undefined) shared[key] = outline[key];
  }
  const seen = new Set<string>();
  const members: JobSpec[] = [];
  let inlineData: TabularDataset | undefined;
  runs.forEach((run, k) => {
    const result = normalizeJobSpec(
      { ...shared, optimizer: run.optimizer, schedule: run.schedule, label: run.label },
      { ...options, limits: options.limits ?? DEFAULT_LIMITS },
    );
    if (result.ok) {
      members[k] = result.spec;
      inlineData ??= result.inlineData;
      return;
    }
    for (const error of result.errors) {
      const own = /^(optimizer|schedule)(\.|\[|$)/.test(error.path);
      const mapped = { ...error, path: own ? run.path(error.path) : error.path };
      const key = `${mapped.path}\u0000${mapped.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        errors.push(mapped);
      }
    }
  });
  if (outline.webhook !== undefined) {
    const webhook = webhookSpecSchema.safeParse(outline.webhook);
    if (!webhook.success) errors.push(...fieldErrorsFromZod(webhook.error, ['webhook']));
  }
  if (errors.length > 0) return { ok: false, errors };

  const first = members[0];
  const spec: ComparisonSpec = {
    objective: first.objective,
    start: first.start,
    stop: first.stop,
    record: first.record,
    seed: first.seed,
    gradientNoise: first.gradientNoise,
    device: first.device,
    runs: members.map((member) => ({
      optimizer: member.optimizer,
      schedule: member.schedule,
      label: member.label ?? '',
    })),
    sweep:
      sweep === null
        ? null
        : { optimizer: optimizerSchema.parse(sweep.optimizer), param: sweep.param, values: sweep.values },
    ...(outline.webhook === undefined ? {} : { webhook: outline.webhook as { url: string } }),
  };
  return { ok: true, spec, label: outline.label ?? null, members, ...(inlineData ? { inlineData } : {}) };
}
