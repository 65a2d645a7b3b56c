import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { WebGpuBackend } from '../../../src/core/backends/webgpu/webgpu-backend.ts';
import { Rng } from '../../../src/core/random.ts';
import { type AcquiredDevice, acquireGpuDevice, NO_ADAPTER_HINT } from '../../../src/gpu/device.ts';

/**
 * GPU tests run on whatever adapter Dawn finds: on CI machines Mesa's llvmpipe (software
 * Vulkan). No adapter fails the tests, saying how to install one; `DESCENT_GPU_TESTS=skip`
 * skips them instead, with the reason in the suite's name.
 */
export const GPU_TESTS_SKIPPED = process.env.DESCENT_GPU_TESTS === 'skip';

export const describeGpu: (name: string, body: () => void) => void = GPU_TESTS_SKIPPED
  ? (name, body) => describe.skip(`${name} [skipped: DESCENT_GPU_TESTS=skip]`, body)
  : describe;

export interface TestDevice extends AcquiredDevice {
  backend: WebGpuBackend;
}

/**
 * The suite's device: acquired before its tests, destroyed after them. Without an adapter every
 * test fails with the install hint (a failing hook alone would not count as failed tests).
 */
export function useTestDevice(): TestDevice {
  const gpu = {} as TestDevice;
  let failure: unknown = null;
  beforeAll(async () => {
    try {
      Object.assign(gpu, await acquireTestDevice());
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== null) throw failure;
  });
  afterAll(() => gpu.device?.destroy());
  return gpu;
}

async function acquireTestDevice(): Promise<TestDevice> {
  const acquired = await acquireGpuDevice();
  if (acquired === null) {
    throw new Error(`${NO_ADAPTER_HINT} To skip the GPU tests instead, set DESCENT_GPU_TESTS=skip.`);
  }
  return {
    ...acquired,
    backend: new WebGpuBackend(acquired.device, acquired.adapter, { software: acquired.software }),
  };
}

/** float32 values of `values` (what the device holds), as a Float64Array for the CPU core. */
export function float32Values(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(values as ArrayLike<number>));
}

/**
 * The largest |actual − expected| / (|expected| + scale) over the elements: the error relative
 * to the value, or to `scale` (the magnitude of the terms a value was computed from) where the
 * value itself is small by cancellation.
 */
export function maxRelativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: ArrayLike<number> | number = 0,
): number {
  if (actual.length !== expected.length)
    throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let j = 0; j < actual.length; j++) {
    const s = typeof scale === 'number' ? scale : scale[j];
    const error = Math.abs(actual[j] - expected[j]) / (Math.abs(expected[j]) + s + Number.MIN_VALUE);
    if (!(error <= worst)) worst = error;
  }
  return worst;
}

/** Seeded float32 values uniform in [lo, hi): test inputs that are the same every run. */
export function uniforms(seed: number, length: number, lo: number, hi: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  const out = new Float64Array(length);
  for (let j = 0; j < length; j++) out[j] = Math.fround(lo + (hi - lo) * rng.uniform());
  return out;
}
