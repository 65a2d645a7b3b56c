import { expect, it } from 'vitest';
import { deviceProblem } from '../../../src/core/backends/device-problem.ts';
import { clipGradient, createOptimizer } from '../../../src/core/optimizers/index.ts';
import type { PlainState } from '../../../src/core/types.ts';
import { spec } from '../spec-helpers.ts';
import { describeGpu, maxRelativeError, uniforms, useTestDevice } from './gpu-device.ts';

/**
 * Every fused update kernel against the CPU optimizer (src/core/optimizers), on float32 inputs:
 * one step from random x, state and t, with the gradient of the sphere (g = 2x, exact in float32),
 * so the update alone is compared. The CPU computes in float64; the device's result must agree
 * to float32 rounding (a few ulps of the terms involved).
 */

const DIM = 1000;
/** Relative to |x| + |Δx|: a handful of float32 roundings (2⁻²⁴ ≈ 6e-8 each). */
const TOLERANCE = 1e-6;

interface Case {
  name: string;
  optimizer: Record<string, unknown>;
  /** The state arrays' value ranges (the CPU optimizer's layout). */
  state: Record<string, [number, number]>;
  t: number;
}

const cases: Case[] = [
  { name: 'sgd', optimizer: { name: 'sgd', lr: 0.1 }, state: {}, t: 1 },
  { name: 'sgd with clipNorm', optimizer: { name: 'sgd', lr: 0.1, clipNorm: 1 }, state: {}, t: 1 },
  {
    name: 'momentum',
    optimizer: { name: 'momentum', lr: 0.05, rho: 0.9 },
    state: { velocity: [-1, 1] },
    t: 4,
  },
  {
    name: 'momentum, nesterov',
    optimizer: { name: 'momentum', lr: 0.05, rho: 0.8, nesterov: true },
    state: { velocity: [-1, 1] },
    t: 4,
  },
  {
    name: 'adagrad',
    optimizer: { name: 'adagrad', lr: 0.1, eps: 1e-6 },
    state: { sumSquares: [0, 4] },
    t: 9,
  },
  {
    name: 'rmsprop with clipNorm',
    optimizer: { name: 'rmsprop', lr: 0.01, beta: 0.95, eps: 1e-6, clipNorm: 5 },
    state: { meanSquare: [0, 4] },
    t: 3,
  },
  { name: 'adam', optimizer: { name: 'adam', lr: 0.01 }, state: { m: [-1, 1], v: [0, 2] }, t: 3 },
  {
    name: 'adam, amsgrad',
    optimizer: { name: 'adam', lr: 0.01, amsgrad: true },
    state: { m: [-1, 1], v: [0, 2], vHatMax: [0, 40] },
    t: 7,
  },
  {
    name: 'adamw',
    optimizer: { name: 'adamw', lr: 0.02, weightDecay: 0.1, beta1: 0.8, beta2: 0.99 },
    state: { m: [-1, 1], v: [0, 2] },
    t: 2,
  },
  {
    name: 'adamw, amsgrad, clipNorm',
    optimizer: { name: 'adamw', lr: 0.02, weightDecay: 0.5, amsgrad: true, clipNorm: 3 },
    state: { m: [-1, 1], v: [0, 2], vHatMax: [0, 2] },
    t: 1,
  },
];

describeGpu('fused optimizer updates (WebGPU) against the CPU optimizers', () => {
  const gpu = useTestDevice();

  for (const testCase of cases) {
    it(`${testCase.name}: one step matches the CPU step to float32 rounding`, async () => {
      const jobSpec = spec({
        objective: { type: 'builtin', name: 'sphere', dim: DIM },
        optimizer: testCase.optimizer,
        stop: { gradTol: 0 },
      });
      const x = uniforms(1, DIM, -2, 2);
      const state: Record<string, Float64Array> = {};
      Object.entries(testCase.state).forEach(([name, [lo, hi]], k) => {
        state[name] = uniforms(10 + k, DIM, lo, hi);
      });

      const program = gpu.backend.createRunProgram(deviceProblem(jobSpec));
      try {
        program.load({ x, optimizerState: state, bestX: null, scalars: null });
        const lr = jobSpec.optimizer.lr;
        const betas =
          'beta1' in jobSpec.optimizer ? [jobSpec.optimizer.beta1, jobSpec.optimizer.beta2] : [0, 0];
        program.queueStart({ iteration: 0, lr, usePlateau: false, biasCorrection1: 1, biasCorrection2: 1 });
        program.queueStep(
          {
            iteration: testCase.t,
            lr,
            usePlateau: false,
            biasCorrection1: 1 / (1 - betas[0] ** testCase.t),
            biasCorrection2: 1 / (1 - betas[1] ** testCase.t),
          },
          false,
        );
        const batch = await program.runBatch();
        const deviceX = await program.readIterate(batch.state.current);
        const deviceState = await program.readOptimizerState();

        // The CPU step from the same float32 values, in float64.
        const optimizer = createOptimizer(jobSpec.optimizer);
        const cpuState = optimizer.init(DIM) as PlainState;
        if (cpuState !== null)
          Object.assign(cpuState, Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.slice()])));
        const g = x.map((xj) => 2 * xj);
        const gradNorm = Math.sqrt(g.reduce((sum, gj) => sum + gj * gj, 0));
        if (jobSpec.optimizer.clipNorm != null) {
          expect(gradNorm).toBeGreaterThan(jobSpec.optimizer.clipNorm); // the case exercises clipping
          clipGradient(g, jobSpec.optimizer.clipNorm, gradNorm);
        }
        const next = new Float64Array(DIM);
        optimizer.step(x, next, g, lr, cpuState, testCase.t, { objective: null as never, f: 0 });

        expect(batch.stats[0].gradNorm).toBeCloseTo(gradNorm, 3);
        const scale = x.map((xj, j) => Math.abs(xj) + Math.abs(next[j] - xj));
        expect(maxRelativeError(deviceX, next, scale)).toBeLessThan(TOLERANCE);
        expect(Object.keys(deviceState).sort()).toEqual(Object.keys(state).sort());
        for (const name of Object.keys(state)) {
          const cpuArray = (cpuState as Record<string, Float64Array>)[name];
          // New state = old state and g combined (β m + (1 − β) g, ρ v − α g, …): relative to both.
          const stateScale = state[name].map((old, j) => Math.abs(old) + Math.abs(g[j]));
          expect(maxRelativeError(deviceState[name], cpuArray, stateScale), name).toBeLessThan(TOLERANCE);
        }
        // The step moved x: a kernel that wrote nothing would fail here, not pass vacuously.
        expect(maxRelativeError(deviceX, x)).toBeGreaterThan(1e-4);
      } finally {
        program.destroy();
      }
    });
  }
});
