import { type JobSpec, objectiveDim } from '../spec.ts';
import { deviceUnsupportedReason } from './device-problem.ts';

/**
 * Where a spec runs (JobSpec.device): `cpu` on the CPU core (float64), `gpu` on a compute device
 * (float32; a spec that cannot run there is refused at validation, see deviceUnsupportedReason),
 * and `auto` by the rule below, which the API's routing, the workers and `descent run` share.
 *
 * `auto` picks a device only where it pays:
 * - the spec runs there (deviceUnsupportedReason: the builtins of any dimension, first-order
 *   optimizers, no gradient noise), and
 * - its dimension is at least `minDim` (GPU_AUTO_MIN_DIM): below it an iteration is too little
 *   work to cover a device's fixed cost per step (a few dispatches and their encoding, ~10-50 µs)
 *   and per job (pipelines, uploads), while the CPU core does a 10,000-dim Adam step on a
 *   sphere in a few µs; and
 * - the adapter is hardware. A software adapter (Mesa's llvmpipe) is a CPU rasterizer: measured
 *   on 2 cores (bench/gpu.ts), its GpuRun never beat the CPU Run, at any dimension up to
 *   3,000,000, so `auto` never picks one (`allowSoftware`, for tests and development, lifts this).
 *
 * The default GPU_AUTO_MIN_DIM (100,000) is an estimate until measured on a real GPU (the
 * crossover rows of bench/gpu.ts print it): at that size a CPU Adam step on a sphere takes
 * ~0.2-0.5 ms, ten times a device's fixed cost per step.
 */

export interface AutoDeviceRule {
  /** Smallest dimension for which `auto` runs on a device (GPU_AUTO_MIN_DIM). */
  minDim: number;
  /** Let `auto` use a software adapter (GPU_AUTO_SOFTWARE: tests and development only). */
  allowSoftware: boolean;
}

/** The adapter a device run would use: whether it is a software rasterizer. */
export interface AdapterKind {
  software: boolean;
}

/** Whether `auto` wants a device for this spec, before asking which adapter there is. */
export function autoWantsDevice(spec: JobSpec, minDim: number): boolean {
  return (
    spec.device === 'auto' && objectiveDim(spec.objective) >= minDim && deviceUnsupportedReason(spec) === null
  );
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
  return adapter !== null && autoAcceptsAdapter(adapter, rule) && autoWantsDevice(spec, rule.minDim)
    ? 'gpu'
    : 'cpu';
}
