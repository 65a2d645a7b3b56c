import { type DataSpec, type JobSpec, type ModelObjectiveSpec, objectiveDim } from '../spec.ts';
import { deviceUnsupportedReason } from './device-problem.ts';

/**
 * Where a spec runs (JobSpec.device): `cpu` on the CPU core (float64), `gpu` on a compute device
 * (float32; a spec that cannot run there is refused at validation, see deviceUnsupportedReason),
 * and `auto` by the rule below, which the API's routing, the workers and `descent run` share.
 *
 * `auto` picks a device only where it pays:
 * - the spec runs there (deviceUnsupportedReason: the builtins of any dimension and the models,
 *   first-order optimizers, no gradient noise), and
 * - a builtin's dimension is at least `minDim` (GPU_AUTO_MIN_DIM): below it an iteration is too
 *   little work to cover a device's fixed cost per step (a few dispatches and their encoding,
 *   ~10-50 µs) and per job (pipelines, uploads), while the CPU core does a 10,000-dim Adam step on
 *   a sphere in a few µs;
 * - a model's work per step, W = rows per batch × parameters ({@link modelStepWork}: the
 *   multiply-adds of one forward pass; the backward pass does about twice as many, on either
 *   side), is at least `minModelWork` (GPU_AUTO_MIN_MODEL_WORK). A model step is about 20
 *   dispatches on a device (gather, per layer a product, a bias and an activation forward and
 *   three products backward, the loss head, the sums): ~0.1-0.3 ms of fixed cost, whatever the
 *   size, while the CPU core's SIMD kernels (objectives/models/dense.ts) do ~3W multiply-adds at
 *   about 10 GMAC/s. The default, 4,000,000 (a batch of 1,000 rows on a 4,000-parameter MLP), is
 *   where the CPU takes ~1.2 ms a step, several times a device's fixed cost; an estimate until
 *   measured on a real GPU, like minDim (bench/gpu.ts prints the model rows); and
 * - the adapter is hardware. A software adapter (Mesa's llvmpipe) is a CPU rasterizer: measured
 *   on 2 cores (bench/gpu.ts), its GpuRun never beat the CPU Run, at any dimension up to
 *   3,000,000, so `auto` never picks one (`allowSoftware`, for tests and development, lifts this).
 *
 * The default GPU_AUTO_MIN_DIM (100,000) is an estimate until measured on a real GPU (the
 * crossover rows of bench/gpu.ts print it): at that size a CPU Adam step on a sphere takes
 * ~0.2-0.5 ms, ten times a device's fixed cost per step.
 */

export interface AutoDeviceRule {
  /** Smallest dimension for which `auto` runs a builtin on a device (GPU_AUTO_MIN_DIM). */
  minDim: number;
  /** Smallest work per step (rows per batch × parameters) for which `auto` runs a model on a device (GPU_AUTO_MIN_MODEL_WORK). */
  minModelWork: number;
  /** Let `auto` use a software adapter (GPU_AUTO_SOFTWARE: tests and development only). */
  allowSoftware: boolean;
}

/** The adapter a device run would use: whether it is a software rasterizer. */
export interface AdapterKind {
  software: boolean;
}

/** Whether `auto` wants a device for this spec, before asking which adapter there is. */
export function autoWantsDevice(
  spec: JobSpec,
  rule: Pick<AutoDeviceRule, 'minDim' | 'minModelWork'>,
): boolean {
  if (spec.device !== 'auto' || deviceUnsupportedReason(spec) !== null) return false;
  const objective = spec.objective;
  if (objective.type === 'model') return (modelStepWork(objective) ?? 0) >= rule.minModelWork;
  return objectiveDim(objective) >= rule.minDim;
}

/**
 * A model's work per step, rows per batch × parameters: batchSize when given (capped by the
 * training rows where the spec says how many rows there are), else the training rows, (1 −
 * validationFraction) of a built-in's `samples` (iris: 150) or of the inline rows. null when the
 * spec does not say (the full batch of a stored data set, whose rows only the store knows):
 * `auto` then keeps the model on the CPU.
 */
export function modelStepWork(objective: ModelObjectiveSpec): number | null {
  const rows = dataRows(objective.data);
  const training = rows === null ? null : Math.max(1, Math.floor(rows * (1 - objective.validationFraction)));
  const batch =
    objective.batchSize === null
      ? training
      : training === null
        ? objective.batchSize
        : Math.min(objective.batchSize, training);
  return batch === null ? null : batch * objective.dim;
}

function dataRows(data: DataSpec): number | null {
  if ('inline' in data) return data.inline.X.length;
  if ('builtin' in data) return data.builtin === 'iris' ? 150 : data.samples;
  return null;
}

/** Whether `auto` may run on this adapter (never a software one unless the rule allows it). */
export function autoAcceptsAdapter(adapter: AdapterKind, rule: AutoDeviceRule): boolean {
  return !adapter.software || rule.allowSoftware;
}

/**
 * Where a spec runs given the adapter at hand (null: none): `gpu` always on the device (the caller
 * reports a missing adapter), `cpu` on the CPU, `auto` by the rule.
 */
export function chooseDevice(
  spec: JobSpec,
  adapter: AdapterKind | null,
  rule: AutoDeviceRule,
): 'cpu' | 'gpu' {
  if (spec.device !== 'auto') return spec.device;
  return adapter !== null && autoAcceptsAdapter(adapter, rule) && autoWantsDevice(spec, rule) ? 'gpu' : 'cpu';
}
