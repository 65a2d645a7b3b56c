/**
 * Tiny objectives for the optimizer tests, written here so the tests do not depend on the builtin
 * objectives, plus a minimal run loop (evaluate, step) that mirrors the real one's call pattern.
 */
import { createStepContext } from '../../../src/core/optimizers/index.ts';
import type { FullStepContext } from '../../../src/core/optimizers/step-context.ts';
import type { Objective, Optimizer, PlainState, StepContext } from '../../../src/core/types.ts';

/** A step context on `objective` at a point where f = `f`. */
export function contextAt(objective: Objective, f: number): FullStepContext {
  return { ...createStepContext(objective), f };
}

/** f = x² + 10y², ∇f = (2x, 20y), H = diag(2, 20). */
export const bowl: Objective = {
  dim: 2,
  value: (x) => x[0] * x[0] + 10 * x[1] * x[1],
  valueAndGradient(x, g) {
    g[0] = 2 * x[0];
    g[1] = 20 * x[1];
    return x[0] * x[0] + 10 * x[1] * x[1];
  },
  hessian(_x, h) {
    h.set([2, 0, 0, 20]);
  },
};

/** f = x² − y², saddle at 0. */
export const saddle: Objective = {
  dim: 2,
  value: (x) => x[0] * x[0] - x[1] * x[1],
  valueAndGradient(x, g) {
    g[0] = 2 * x[0];
    g[1] = -2 * x[1];
    return x[0] * x[0] - x[1] * x[1];
  },
  hessian(_x, h) {
    h.set([2, 0, 0, -2]);
  },
};

/** 2-D Rosenbrock, a = 1, b = 100. */
export const rosenbrock: Objective = {
  dim: 2,
  value: (x) => 100 * (x[1] - x[0] * x[0]) ** 2 + (1 - x[0]) ** 2,
  valueAndGradient(x, g) {
    const [a, b] = x;
    g[0] = -400 * a * (b - a * a) - 2 * (1 - a);
    g[1] = 200 * (b - a * a);
    return 100 * (b - a * a) ** 2 + (1 - a) ** 2;
  },
  hessian(x, h) {
    const [a, b] = x;
    h.set([1200 * a * a - 400 * b + 2, -400 * a, -400 * a, 200]);
  },
};

/** f = ½ xᵀAx − bᵀx for a symmetric A (row-major), ∇f = Ax − b, H = A. */
export function quadratic(matrix: number[][], rhs: number[]): Objective {
  const dim = rhs.length;
  const value = (x: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < dim; i++) {
      let ax = 0;
      for (let j = 0; j < dim; j++) ax += matrix[i][j] * x[j];
      f += 0.5 * x[i] * ax - rhs[i] * x[i];
    }
    return f;
  };
  return {
    dim,
    value,
    valueAndGradient(x, g) {
      for (let i = 0; i < dim; i++) {
        let ax = 0;
        for (let j = 0; j < dim; j++) ax += matrix[i][j] * x[j];
        g[i] = ax - rhs[i];
      }
      return value(x);
    },
    hessian(_x, h) {
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) h[i * dim + j] = matrix[i][j];
    },
  };
}

/** Wraps an objective to count value and gradient evaluations (as the run loop does). */
export function counted(objective: Objective): { objective: Objective; evaluations: { f: number } } {
  const evaluations = { f: 0 };
  return {
    evaluations,
    objective: {
      dim: objective.dim,
      value(x) {
        evaluations.f++;
        return objective.value(x);
      },
      valueAndGradient(x, g) {
        evaluations.f++;
        return objective.valueAndGradient(x, g);
      },
      hessian: objective.hessian?.bind(objective),
    },
  };
}

/**
 * One step that moves x in place, as a caller outside the run loop wants it; asserts the step's
 * finiteness poison is 0, as it must be for a finite new iterate. Returns false, leaving x as it
 * was, when the step's line search failed.
 */
export function stepInPlace(
  optimizer: Optimizer,
  x: Float64Array,
  g: Float64Array,
  lr: number,
  state: PlainState,
  t: number,
  context: StepContext,
): boolean {
  const next = new Float64Array(x.length);
  context.evaluated = false;
  context.lineSearchFailed = false;
  const poison = optimizer.step(x, next, g, lr, state, t, context);
  if (context.lineSearchFailed) return false;
  x.set(next);
  if (!Object.is(poison, next.every(Number.isFinite) ? 0 : Number.NaN)) {
    throw new Error(`step returned poison ${poison} for x = ${[...next]}`);
  }
  return true;
}

/** Takes `steps` steps at a constant lr from x0 and returns x₁ … x_steps (x stays where a line search fails). */
export function trajectory(
  optimizer: Optimizer,
  objective: Objective,
  x0: number[],
  lr: number,
  steps: number,
): number[][] {
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  const state = optimizer.init(x.length);
  const points: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const f = objective.valueAndGradient(x, g);
    stepInPlace(optimizer, x, g, lr, state, t, contextAt(objective, f));
    points.push([...x]);
  }
  return points;
}

/** A JSON round trip of plain state, Float64Arrays as number arrays (what a checkpoint does). */
export function cloneThroughJson(state: PlainState): PlainState {
  const encode = (value: PlainState): unknown => {
    if (value instanceof Float64Array) return { f64: [...value] };
    if (Array.isArray(value)) return value.map(encode);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, encode(item)]));
    }
    return value;
  };
  const decode = (value: unknown): PlainState => {
    if (Array.isArray(value)) return value.map(decode);
    if (value !== null && typeof value === 'object') {
      if ('f64' in value) return Float64Array.from((value as { f64: number[] }).f64);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decode(item)]));
    }
    return value as PlainState;
  };
  return decode(JSON.parse(JSON.stringify(encode(state))));
}

/** |actual − expected| ≤ tolerance·max(1, |expected|), elementwise; returns the worst violation. */
export function maxRelativeError(actual: number[][], expected: number[][]): number {
  let worst = 0;
  for (let k = 0; k < expected.length; k++) {
    for (let i = 0; i < expected[k].length; i++) {
      const error = Math.abs(actual[k][i] - expected[k][i]) / Math.max(1, Math.abs(expected[k][i]));
      if (!(error <= worst)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
    }
  }
  return worst;
}
