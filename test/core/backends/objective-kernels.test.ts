import { expect, it } from 'vitest';
import { DEVICE_STOP } from '../../../src/core/backends/compute-backend.ts';
import { deviceProblem } from '../../../src/core/backends/device-problem.ts';
import { WebGpuBackend } from '../../../src/core/backends/webgpu/webgpu-backend.ts';
import { quadraticEigenvalues } from '../../../src/core/objectives/builtins/quadratic.ts';
import { createObjective } from '../../../src/core/objectives/index.ts';
import type { JobSpec } from '../../../src/schemas/job-spec.ts';
import { spec } from '../spec-helpers.ts';
import { describeGpu, maxRelativeError, uniforms, useTestDevice } from './gpu-device.ts';

/**
 * The builtins' value and gradient kernels and the two-stage reductions (f, ‖g‖) against the
 * CPU objectives (src/core/objectives/builtins), at float32 points: the CPU evaluates in float64,
 * the device must agree to float32 rounding. Errors are measured relative to the magnitude of
 * the terms each value is made of (a cancelling sum is only as exact as its terms).
 * 999,983 dimensions take the reductions through every workgroup (grid-stride, a partial last
 * one), with the software adapter's workgroup counts and with a GPU's (2,048 partial sums).
 */

/** f and ‖g‖ are sums of up to 10⁶ float32 terms: pairwise sums err by about log₂(n)·2⁻²⁴ at worst. */
const SUM_TOLERANCE = 2e-6;
/** Elementwise: a few roundings, and sin/cos of an argument rounded to float32. */
const GRADIENT_TOLERANCE = 2e-6;

interface Case {
  name: string;
  objective: Record<string, unknown>;
  range: [number, number];
  /** Per coordinate, the magnitude of the terms gⱼ is made of. */
  gradientScale(x: Float64Array, j: number): number;
  /** The magnitude of the terms f is summed from. */
  valueScale(x: Float64Array): number;
}

const sumOf = (x: Float64Array, term: (xj: number, j: number) => number) => {
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += term(x[j], j);
  return sum;
};

function cases(dim: number): Case[] {
  const lambda = quadraticEigenvalues(dim, 1000);
  return [
    {
      name: 'sphere',
      objective: { name: 'sphere' },
      range: [-3, 3],
      gradientScale: (x, j) => 2 * Math.abs(x[j]),
      valueScale: (x) => sumOf(x, (xj) => xj * xj),
    },
    {
      name: 'quadratic',
      objective: { name: 'quadratic', params: { conditionNumber: 1000 } },
      range: [-2, 2],
      gradientScale: (x, j) => lambda[j] * Math.abs(x[j]),
      valueScale: (x) => sumOf(x, (xj, j) => lambda[j] * xj * xj),
    },
    {
      name: 'rosenbrock',
      objective: { name: 'rosenbrock', params: { a: 1, b: 100 } },
      range: [-2, 2],
      gradientScale: (x, j) => {
        const before = j > 0 ? 200 * (Math.abs(x[j]) + x[j - 1] ** 2) : 0;
        const after =
          j + 1 < x.length
            ? 400 * Math.abs(x[j]) * (Math.abs(x[j + 1]) + x[j] ** 2) + 2 * (1 + Math.abs(x[j]))
            : 0;
        return before + after;
      },
      valueScale: (x) =>
        sumOf(x, (xj, j) =>
          j + 1 < x.length ? 100 * (x[j + 1] + xj * xj) ** 2 + (1 + Math.abs(xj)) ** 2 : 0,
        ),
    },
    {
      name: 'rastrigin',
      objective: { name: 'rastrigin' },
      range: [-5.12, 5.12],
      gradientScale: (x, j) => 2 * Math.abs(x[j]) + 20 * Math.PI,
      valueScale: (x) => 10 * x.length + sumOf(x, (xj) => xj * xj + 10),
    },
    {
      name: 'ackley',
      objective: { name: 'ackley' },
      range: [-4, 4],
      // Every gⱼ is (a b E₁/(n r)) xⱼ + (c/n) E₂ sin(c xⱼ): one scale for all.
      gradientScale: (x) => (20 * 0.2 * 4 + 2 * Math.PI * Math.E) / x.length,
      valueScale: () => 20 + Math.E,
    },
    {
      name: 'styblinski_tang',
      objective: { name: 'styblinski_tang' },
      range: [-5, 5],
      gradientScale: (x, j) => 2 * Math.abs(x[j]) ** 3 + 16 * Math.abs(x[j]) + 2.5,
      valueScale: (x) => 0.5 * sumOf(x, (xj) => xj ** 4 + 16 * xj * xj + 5 * Math.abs(xj)),
    },
  ];
}

/** f, ‖g‖, g and the stop code of the start evaluation at x, on the device. */
async function evaluateOnDevice(backend: WebGpuBackend, jobSpec: JobSpec, x: ArrayLike<number>) {
  const program = backend.createRunProgram(deviceProblem(jobSpec));
  try {
    program.load({ x, optimizerState: null, bestX: null, scalars: null });
    program.queueStart({ iteration: 0, lr: 0.1, usePlateau: false, biasCorrection1: 1, biasCorrection2: 1 });
    const batch = await program.runBatch();
    return { ...batch.stats[0], g: await program.readGradient() };
  } finally {
    program.destroy();
  }
}

describeGpu('objective kernels and reductions (WebGPU) against the CPU builtins', () => {
  const gpu = useTestDevice();
  /** The same device with a GPU's workgroup counts (on llvmpipe, useTestDevice picks the software ones). */
  const hardwareCounts = () => new WebGpuBackend(gpu.device, gpu.adapter, { software: false });

  for (const [dim, counts] of [
    [2, 'adapter'],
    [1000, 'adapter'],
    [999_983, 'adapter'],
    [999_983, 'GPU'],
  ] as const) {
    for (const testCase of cases(dim)) {
      it(`${testCase.name}, dim ${dim}, ${counts} workgroup counts: f, ∇f and ‖∇f‖ match the CPU to float32 rounding`, async () => {
        const jobSpec = spec({
          objective: { type: 'builtin', dim, ...testCase.objective },
          optimizer: { name: 'sgd' },
          stop: { gradTol: 0 },
        });
        const x = uniforms(dim, dim, ...testCase.range);
        const cpu = createObjective(jobSpec.objective, jobSpec.seed);
        const g = new Float64Array(dim);
        const f = cpu.valueAndGradient(x, g);
        const gradNorm = Math.sqrt(g.reduce((sum, gj) => sum + gj * gj, 0));

        const device = await evaluateOnDevice(counts === 'GPU' ? hardwareCounts() : gpu.backend, jobSpec, x);
        expect(device.stopCode).toBe(DEVICE_STOP.none);
        expect(Math.abs(device.f - f) / testCase.valueScale(x)).toBeLessThan(SUM_TOLERANCE);
        expect(Math.abs(device.gradNorm - gradNorm) / gradNorm).toBeLessThan(SUM_TOLERANCE);
        const scale = Float64Array.from(x, (_, j) => testCase.gradientScale(x, j));
        expect(maxRelativeError(device.g, g, scale)).toBeLessThan(GRADIENT_TOLERANCE);
      });
    }
  }

  it('ackley at 0: f = 0 and the symmetric subgradient 0, as on the CPU', async () => {
    const jobSpec = spec({
      objective: { type: 'builtin', name: 'ackley', dim: 5 },
      optimizer: { name: 'sgd' },
    });
    const device = await evaluateOnDevice(gpu.backend, jobSpec, new Float64Array(5));
    expect(device.f).toBe(0);
    expect(Array.from(device.g)).toEqual([0, 0, 0, 0, 0]);
    expect(device.stopCode).toBe(DEVICE_STOP.gradTol);
  });

  for (const bad of [Number.POSITIVE_INFINITY, Number.NaN]) {
    it(`a non-finite coordinate (${bad}) is a divergence, also where f would hide it`, async () => {
      // ackley: exp(−b r) of an infinite r is 0, so f alone would look finite.
      for (const name of ['sphere', 'ackley']) {
        const jobSpec = spec({ objective: { type: 'builtin', name, dim: 600 }, optimizer: { name: 'sgd' } });
        const x = uniforms(3, 600, -1, 1);
        x[417] = bad;
        expect((await evaluateOnDevice(gpu.backend, jobSpec, x)).stopCode, name).toBe(DEVICE_STOP.diverged);
      }
    });
  }
});
