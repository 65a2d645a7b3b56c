import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../src/core/optimizers/index.ts';
import type { LbfgsState } from '../../../src/core/optimizers/lbfgs.ts';
import { strongWolfe } from '../../../src/core/optimizers/line-search.ts';
import type { Objective } from '../../../src/core/types.ts';
import { optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { contextAt, counted, quadratic, rosenbrock, stepInPlace, trajectory } from './test-objectives.ts';

/** The run loop in miniature: evaluate, stop on gradNorm ≤ tolerance, step; returns what it saw. */
function minimise(spec: object, objective: Objective, x0: number[], maxIterations: number, gradTol: number) {
  const optimizer = createOptimizer(optimizerSchema.parse(spec));
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  const state = optimizer.init(x.length);
  const points: { x: number[]; f: number; g: number[] }[] = [];
  for (let i = 0; ; i++) {
    const f = objective.valueAndGradient(x, g);
    points.push({ x: [...x], f, g: [...g] });
    const gradNorm = Math.hypot(...g);
    if (gradNorm <= gradTol || i === maxIterations)
      return { iterations: i, gradNorm, x: [...x], points, state };
    stepInPlace(optimizer, x, g, 1, state, i + 1, contextAt(objective, f));
  }
}

describe('lbfgs', () => {
  it('solves 2-D Rosenbrock from (−1.2, 1) to gradNorm ≤ 1e-8 within 60 iterations', () => {
    const run = minimise({ name: 'lbfgs' }, rosenbrock, [-1.2, 1], 60, 1e-8);
    expect(run.gradNorm).toBeLessThanOrEqual(1e-8);
    expect(run.iterations).toBeLessThanOrEqual(60);
    expect(run.x[0]).toBeCloseTo(1, 8);
    expect(run.x[1]).toBeCloseTo(1, 8);
  });

  it('every accepted step on Rosenbrock satisfies the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9)', () => {
    const { points } = minimise({ name: 'lbfgs' }, rosenbrock, [-1.2, 1], 60, 1e-8);
    for (let k = 0; k + 1 < points.length; k++) {
      const { x, f, g } = points[k];
      const next = points[k + 1];
      // with Δ = α d: Armijo f₊ ≤ f + c₁ gᵀΔ; curvature |g₊ᵀΔ| ≤ c₂ |gᵀΔ|
      const step = [next.x[0] - x[0], next.x[1] - x[1]];
      const slope = g[0] * step[0] + g[1] * step[1];
      const nextSlope = next.g[0] * step[0] + next.g[1] * step[1];
      expect(slope).toBeLessThan(0);
      expect(next.f).toBeLessThanOrEqual(f + 1e-4 * slope);
      expect(Math.abs(nextSlope)).toBeLessThanOrEqual(0.9 * Math.abs(slope));
    }
  });

  it('keeps at most `history` pairs in its ring buffer and still converges (history 2, 6-D quadratic)', () => {
    const n = 6;
    const matrix = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 1 + i * i : 0.1)),
    );
    // b = 0 so that f* = 0: a value-based line search resolves f only to rounding of |f*|
    const run = minimise(
      { name: 'lbfgs', history: 2 },
      quadratic(matrix, new Array(n).fill(0)),
      [1, -2, 3, -4, 5, -6],
      200,
      1e-10,
    );
    const state = run.state as LbfgsState;
    expect(run.gradNorm).toBeLessThanOrEqual(1e-10);
    expect(state.count).toBe(2);
    expect(state.s.length).toBe(2 * n);
    expect(state.rho.length).toBe(2);
  });

  it('skips a pair when sᵀy ≤ 1e-10‖s‖‖y‖ (a linear f has y = 0) and restarts from −g/‖g‖ each step', () => {
    const linear: Objective = {
      dim: 2,
      value: (x) => 3 * x[0] + 4 * x[1],
      valueAndGradient: (x, g) => {
        g[0] = 3;
        g[1] = 4;
        return 3 * x[0] + 4 * x[1];
      },
    };
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'lbfgs', lineSearch: 'none' }));
    const x = new Float64Array([0, 0]);
    const g = new Float64Array(2);
    const state = optimizer.init(2) as LbfgsState;
    for (let t = 1; t <= 3; t++) {
      const f = linear.valueAndGradient(x, g);
      stepInPlace(optimizer, x, g, 2, state, t, contextAt(linear, f));
    }
    expect(state.count).toBe(0);
    // each step: lr·min(1, 1/‖g‖)·(−g) = 2·(1/5)·(−3, −4)
    expect(x[0]).toBeCloseTo(3 * -1.2, 14);
    expect(x[1]).toBeCloseTo(3 * -1.6, 14);
  });

  it('reports a failed line search and stays put when no trial decreases f, retrying once from −g with a memory', () => {
    // f is finite only at the current point: every trial evaluates to NaN
    const spiky: Objective = {
      dim: 2,
      value: (x) => (x[0] === 1 && x[1] === 1 ? 2 : Number.NaN),
      valueAndGradient(x, g) {
        g[0] = 2;
        g[1] = 2;
        return this.value(x);
      },
    };
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'lbfgs' }));
    const x = new Float64Array([1, 1]);
    const g = new Float64Array([2, 2]);
    const state = optimizer.init(2) as LbfgsState;
    const fresh = counted(spiky);
    const context = contextAt(fresh.objective, 2);
    expect(stepInPlace(optimizer, x, g, 1, state, 1, context)).toBe(false);
    expect(context.lineSearchFailed).toBe(true);
    expect([...x]).toEqual([1, 1]);
    const searchEvaluations = fresh.evaluations.f;
    expect(searchEvaluations).toBeGreaterThan(0);

    // With a pair in memory the quasi-Newton search fails, the memory is cleared, and the
    // search runs once more along −g before the step gives up: twice the evaluations.
    const remembered = optimizer.init(2) as LbfgsState;
    remembered.s.set([1, 0]);
    remembered.y.set([1, 0]);
    remembered.rho[0] = 1;
    remembered.head = 1;
    remembered.count = 1;
    const again = counted(spiky);
    const context2 = contextAt(again.objective, 2);
    expect(stepInPlace(optimizer, x, g, 1, remembered, 2, context2)).toBe(false);
    expect(context2.lineSearchFailed).toBe(true);
    expect(remembered.count).toBe(0);
    expect(again.evaluations.f).toBe(2 * searchEvaluations);
  });

  it('hands the accepted point to the run loop already evaluated', () => {
    const optimizer = createOptimizer(optimizerSchema.parse({ name: 'lbfgs' }));
    const x = new Float64Array([-1.2, 1]);
    const g = new Float64Array(2);
    const f = rosenbrock.valueAndGradient(x, g);
    const next = new Float64Array(2);
    const context = contextAt(rosenbrock, f);
    optimizer.step(x, next, g, 1, optimizer.init(2), 1, context);
    expect(context.evaluated).toBe(true);
    const expected = new Float64Array(2);
    expect(context.nextF).toBe(rosenbrock.valueAndGradient(next, expected));
    expect([...context.nextGradient]).toEqual([...expected]);
  });

  it('the first step starts at min(1, 1/‖g‖)·lr along −g and the line search counts evaluations', () => {
    // on the bowl x² + 10y² the first trial from (1, 1) is −g/‖g‖; strong Wolfe accepts it there
    const bowlCounted = counted(
      quadratic(
        [
          [2, 0],
          [0, 20],
        ],
        [0, 0],
      ),
    );
    const [x1] = trajectory(
      createOptimizer(optimizerSchema.parse({ name: 'lbfgs' })),
      bowlCounted.objective,
      [1, 1],
      1,
      1,
    );
    const norm = Math.sqrt(2 * 2 + 20 * 20);
    expect(x1[0]).toBeCloseTo(1 - 2 / norm, 14);
    expect(x1[1]).toBeCloseTo(1 - 20 / norm, 14);
    // one evaluation by the loop, one trial by the line search
    expect(bowlCounted.evaluations.f).toBe(2);
  });
});

describe('strong Wolfe line search', () => {
  /** φ(α) = (α − 3)² along d = 1 from x = 0 of f(x) = (x − 3)². */
  const parabola: Objective = {
    dim: 1,
    value: (x) => (x[0] - 3) ** 2,
    valueAndGradient(x, g) {
      g[0] = 2 * (x[0] - 3);
      return (x[0] - 3) ** 2;
    },
  };

  it('expands from a short initial step and returns a point meeting both conditions', () => {
    const x = new Float64Array([0]);
    const d = new Float64Array([1]);
    const result = strongWolfe(parabola, x, 9, -6, d, 0.01, new Float64Array(1), new Float64Array(1));
    expect(result.converged).toBe(true);
    const slope = 2 * (result.step - 3);
    expect(result.f).toBeLessThanOrEqual(9 + 1e-4 * result.step * -6);
    expect(Math.abs(slope)).toBeLessThanOrEqual(0.9 * 6);
  });

  it('zooms back from an overshooting step', () => {
    const x = new Float64Array([0]);
    const d = new Float64Array([1]);
    const result = strongWolfe(parabola, x, 9, -6, d, 100, new Float64Array(1), new Float64Array(1));
    expect(result.converged).toBe(true);
    expect(result.step).toBeGreaterThan(0);
    expect(result.step).toBeLessThan(6);
    expect(Math.abs(2 * (result.step - 3))).toBeLessThanOrEqual(0.9 * 6);
  });
});
