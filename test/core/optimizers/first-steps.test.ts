/**
 * The first three steps of every optimizer on f = x² + 10y² (∇f = (2x, 20y)) from (1, 1), against
 * numbers computed here from the update rules of SEED-optimization.md / API.md, coordinate by
 * coordinate (the bowl is separable: g_x = 2x, g_y = 20y), never by calling the implementation.
 */
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../src/core/optimizers/index.ts';
import { type OptimizerInput, optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { bowl, maxRelativeError, saddle, trajectory } from './test-objectives.ts';

/** Gradient coefficient of each coordinate of the bowl: g = c·x with c = (2, 20). */
const CURVATURE = [2, 20];
const START = [1, 1];

/**
 * Runs a scalar recurrence `update(x, g, t, memory, i)` for three steps from START, coordinate by
 * coordinate (i = 0 for x, 1 for y; `memory` is that coordinate's optimizer state).
 */
function separable(
  update: (x: number, g: number, t: number, memory: Record<string, number>, i: number) => number,
): number[][] {
  const x = [...START];
  const memories = CURVATURE.map(() => ({}) as Record<string, number>);
  const points: number[][] = [];
  for (let t = 1; t <= 3; t++) {
    for (let i = 0; i < x.length; i++) x[i] = update(x[i], CURVATURE[i] * x[i], t, memories[i], i);
    points.push([...x]);
  }
  return points;
}

interface Row {
  spec: OptimizerInput;
  objective?: typeof bowl;
  lr: number;
  expected: number[][];
}

const rows: Record<string, Row> = {
  sgd: {
    spec: { name: 'sgd' },
    lr: 0.01,
    // θ ← θ − α g = θ(1 − 0.01·c): x ×0.98, y ×0.8
    expected: [
      [0.98, 0.8],
      [0.98 * 0.98, 0.8 * 0.8],
      [0.98 * 0.98 * 0.98, 0.8 * 0.8 * 0.8],
    ],
  },
  momentum: {
    spec: { name: 'momentum', rho: 0.9 },
    lr: 0.01,
    // v ← 0.9v − 0.01g; θ ← θ + v. x: g = 2, 1.96, 2·0.9424; y: g = 20, 16, 20·0.46
    expected: [
      [1 - 0.02, 1 - 0.2],
      [0.98 + (0.9 * -0.02 - 0.01 * 1.96), 0.8 + (0.9 * -0.2 - 0.01 * 16)],
      [
        0.9424 + (0.9 * (0.9 * -0.02 - 0.01 * 1.96) - 0.01 * 2 * 0.9424),
        0.46 + (0.9 * (0.9 * -0.2 - 0.01 * 16) - 0.01 * 20 * 0.46),
      ],
    ],
  },
  'momentum (nesterov)': {
    spec: { name: 'momentum', rho: 0.9, nesterov: true },
    lr: 0.01,
    // v ← ρv − αg; θ ← θ + ρv − αg (v the updated velocity)
    expected: separable((x, g, _t, memory) => {
      const v = 0.9 * (memory.v ?? 0) - 0.01 * g;
      memory.v = v;
      return x + 0.9 * v - 0.01 * g;
    }),
  },
  adagrad: {
    spec: { name: 'adagrad', eps: 1e-8 },
    lr: 0.1,
    // G ← G + g²; θ ← θ − α g / √(G + ε)
    expected: separable((x, g, _t, memory) => {
      memory.G = (memory.G ?? 0) + g * g;
      return x - (0.1 * g) / Math.sqrt(memory.G + 1e-8);
    }),
  },
  rmsprop: {
    spec: { name: 'rmsprop', beta: 0.9, eps: 1e-8 },
    lr: 0.01,
    // s ← βs + (1 − β)g²; θ ← θ − α g / √(s + ε)
    expected: separable((x, g, _t, memory) => {
      memory.s = 0.9 * (memory.s ?? 0) + 0.1 * g * g;
      return x - (0.01 * g) / Math.sqrt(memory.s + 1e-8);
    }),
  },
  adam: {
    spec: { name: 'adam' },
    lr: 0.1,
    // m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − α m̂ / (√v̂ + ε) with t = 1, 2, 3
    expected: separable((x, g, t, memory) => {
      memory.m = 0.9 * (memory.m ?? 0) + 0.1 * g;
      memory.v = 0.999 * (memory.v ?? 0) + 0.001 * g * g;
      const mHat = memory.m / (1 - 0.9 ** t);
      const vHat = memory.v / (1 - 0.999 ** t);
      return x - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
    }),
  },
  'adam (amsgrad)': {
    spec: { name: 'adam', amsgrad: true },
    lr: 0.1,
    // as adam, dividing by √max(v̂₁..v̂ₜ): v̂ shrinks here as g shrinks, so the max matters
    expected: separable((x, g, t, memory) => {
      memory.m = 0.9 * (memory.m ?? 0) + 0.1 * g;
      memory.v = 0.999 * (memory.v ?? 0) + 0.001 * g * g;
      const mHat = memory.m / (1 - 0.9 ** t);
      memory.vHatMax = Math.max(memory.vHatMax ?? 0, memory.v / (1 - 0.999 ** t));
      return x - (0.1 * mHat) / (Math.sqrt(memory.vHatMax) + 1e-8);
    }),
  },
  adamw: {
    spec: { name: 'adamw', weightDecay: 0.5 },
    lr: 0.1,
    // θ ← θ(1 − αλ), then the Adam step with g taken at the old θ
    expected: separable((x, g, t, memory) => {
      memory.m = 0.9 * (memory.m ?? 0) + 0.1 * g;
      memory.v = 0.999 * (memory.v ?? 0) + 0.001 * g * g;
      const mHat = memory.m / (1 - 0.9 ** t);
      const vHat = memory.v / (1 - 0.999 ** t);
      return x * (1 - 0.1 * 0.5) - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
    }),
  },
  'newton (exact, no line search)': {
    spec: { name: 'newton', lineSearch: 'none' },
    lr: 0.5,
    // θ ← θ − α H⁻¹g = θ − 0.5θ
    expected: [
      [0.5, 0.5],
      [0.25, 0.25],
      [0.125, 0.125],
    ],
  },
  'newton (exact, backtracking)': {
    spec: { name: 'newton' },
    lr: 1,
    // the full step α = 1 passes Armijo and lands on the minimum; then g = 0 and d = 0
    expected: [
      [0, 0],
      [0, 0],
      [0, 0],
    ],
  },
  'newton (damped)': {
    spec: { name: 'newton', hessian: 'damped', damping: 0.5, lineSearch: 'none' },
    lr: 1,
    // θ ← θ − (H + λI)⁻¹g: x ← x − 2x/2.5, y ← y − 20y/20.5
    expected: separable((x, g, _t, _memory, i) => x - g / (CURVATURE[i] + 0.5)),
  },
  'newton (saddle-free, on x² − y²)': {
    spec: { name: 'newton', hessian: 'saddle_free', lineSearch: 'none' },
    objective: saddle,
    lr: 0.5,
    // |H| = diag(2, 2), g = (2x, −2y): x ← x − 0.5·2x/2, y ← y + 0.5·2y/2
    expected: [
      [0.5, 1.5],
      [0.25, 2.25],
      [0.125, 3.375],
    ],
  },
  'lbfgs (no line search)': {
    spec: { name: 'lbfgs', lineSearch: 'none' },
    lr: 1,
    expected: lbfgsReference(),
  },
};

/**
 * L-BFGS without line search on the bowl, from the definition: step 1 is −g/‖g‖ (lr·min(1, 1/‖g‖));
 * later steps d = −H g by the two-loop recursion over the pairs so far, H₀ = (sᵀy/yᵀy)I, α = 1.
 */
function lbfgsReference(): number[][] {
  const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1];
  const gradient = (x: number[]) => [2 * x[0], 20 * x[1]];
  let x = [...START];
  let g = gradient(x);
  const norm = Math.sqrt(dot(g, g));
  const pairs: { s: number[]; y: number[] }[] = [];
  const points: number[][] = [];
  let next = [x[0] - g[0] / norm, x[1] - g[1] / norm];
  points.push(next);
  for (let k = 2; k <= 3; k++) {
    const gNext = gradient(next);
    pairs.push({ s: [next[0] - x[0], next[1] - x[1]], y: [gNext[0] - g[0], gNext[1] - g[1]] });
    x = next;
    g = gNext;
    const q = [...g];
    const a: number[] = [];
    for (let i = pairs.length - 1; i >= 0; i--) {
      const { s, y } = pairs[i];
      a[i] = dot(s, q) / dot(y, s);
      q[0] -= a[i] * y[0];
      q[1] -= a[i] * y[1];
    }
    const newest = pairs[pairs.length - 1];
    const gamma = dot(newest.s, newest.y) / dot(newest.y, newest.y);
    const r = [gamma * q[0], gamma * q[1]];
    for (let i = 0; i < pairs.length; i++) {
      const { s, y } = pairs[i];
      const b = dot(y, r) / dot(y, s);
      r[0] += s[0] * (a[i] - b);
      r[1] += s[1] * (a[i] - b);
    }
    next = [x[0] - r[0], x[1] - r[1]];
    points.push(next);
  }
  return points;
}

describe('first three steps match the update rules', () => {
  it.each(Object.entries(rows))('%s', (_label, { spec, objective = bowl, lr, expected }) => {
    const optimizer = createOptimizer(optimizerSchema.parse(spec));
    const points = trajectory(optimizer, objective, START, lr, 3);
    expect(maxRelativeError(points, expected)).toBeLessThanOrEqual(1e-12);
  });

  it('sgd literal values: (0.98, 0.8), (0.9604, 0.64), (0.941192, 0.512)', () => {
    const points = trajectory(createOptimizer(optimizerSchema.parse({ name: 'sgd' })), bowl, START, 0.01, 3);
    expect(
      maxRelativeError(points, [
        [0.98, 0.8],
        [0.9604, 0.64],
        [0.941192, 0.512],
      ]),
    ).toBeLessThan(1e-15);
  });

  it('momentum literal values: x = 0.98, 0.9424, 0.889712; y = 0.8, 0.46, 0.062', () => {
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'momentum' }));
    const points = trajectory(optimizer, bowl, START, 0.01, 3);
    expect(
      maxRelativeError(points, [
        [0.98, 0.8],
        [0.9424, 0.46],
        [0.889712, 0.062],
      ]),
    ).toBeLessThan(1e-14);
  });

  it("adam's first step moves each coordinate by lr·|g|/(|g| + ε), i.e. ≈ lr against the gradient", () => {
    const points = trajectory(createOptimizer(optimizerSchema.parse({ name: 'adam' })), bowl, START, 0.1, 1);
    expect(points[0][0]).toBeCloseTo(1 - (0.1 * 2) / (2 + 1e-8), 15);
    expect(points[0][1]).toBeCloseTo(1 - (0.1 * 20) / (20 + 1e-8), 15);
  });

  it('the amsgrad row actually exercises the running max (it differs from plain adam)', () => {
    expect(maxRelativeError(rows['adam (amsgrad)'].expected, rows.adam.expected)).toBeGreaterThan(1e-6);
  });
});
