import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../../src/core/run.ts';
import { spec } from './spec-helpers.ts';

/**
 * One table over optimizer × objective (optax style): each seed optimizer reaches the known
 * minimum of sphere, quadratic (κ = 10, 5-D) and 2-D Rosenbrock within the stated iterations.
 * `tol` bounds ‖x − x*‖∞ at the end.
 */
type Case = {
  optimizer: Record<string, unknown>;
  maxIterations: number;
  tol: number;
  schedule?: Record<string, unknown>;
};

const sphere = { type: 'builtin', name: 'sphere', dim: 5 };
const quadratic = { type: 'builtin', name: 'quadratic', dim: 5, params: { conditionNumber: 10 } };
const rosenbrock = { type: 'builtin', name: 'rosenbrock' };

const table: Record<string, Record<'sphere' | 'quadratic' | 'rosenbrock', Case>> = {
  sgd: {
    sphere: { optimizer: { name: 'sgd', lr: 0.1 }, maxIterations: 200, tol: 1e-6 },
    quadratic: { optimizer: { name: 'sgd', lr: 0.15 }, maxIterations: 1000, tol: 1e-6 },
    rosenbrock: { optimizer: { name: 'sgd', lr: 1e-3 }, maxIterations: 50_000, tol: 1e-3 },
  },
  momentum: {
    sphere: { optimizer: { name: 'momentum', lr: 0.05 }, maxIterations: 500, tol: 1e-6 },
    quadratic: { optimizer: { name: 'momentum', lr: 0.05 }, maxIterations: 1000, tol: 1e-6 },
    rosenbrock: { optimizer: { name: 'momentum', lr: 5e-4, rho: 0.9 }, maxIterations: 20_000, tol: 1e-3 },
  },
  nesterov: {
    sphere: { optimizer: { name: 'momentum', lr: 0.05, nesterov: true }, maxIterations: 500, tol: 1e-6 },
    quadratic: { optimizer: { name: 'momentum', lr: 0.05, nesterov: true }, maxIterations: 1000, tol: 1e-6 },
    rosenbrock: {
      optimizer: { name: 'momentum', lr: 5e-4, nesterov: true },
      maxIterations: 20_000,
      tol: 1e-3,
    },
  },
  adagrad: {
    sphere: { optimizer: { name: 'adagrad', lr: 0.5 }, maxIterations: 2000, tol: 1e-6 },
    quadratic: { optimizer: { name: 'adagrad', lr: 0.5 }, maxIterations: 2000, tol: 1e-6 },
    rosenbrock: { optimizer: { name: 'adagrad', lr: 0.5 }, maxIterations: 50_000, tol: 1e-3 },
  },
  rmsprop: {
    sphere: {
      optimizer: { name: 'rmsprop', lr: 0.05 },
      maxIterations: 5000,
      tol: 1e-3,
      schedule: { type: 'exponential', gamma: 0.998 },
    },
    quadratic: {
      optimizer: { name: 'rmsprop', lr: 0.05 },
      maxIterations: 5000,
      tol: 1e-3,
      schedule: { type: 'exponential', gamma: 0.998 },
    },
    rosenbrock: {
      optimizer: { name: 'rmsprop', lr: 1e-3 },
      maxIterations: 20_000,
      tol: 1e-2,
      schedule: { type: 'exponential', gamma: 0.9997 },
    },
  },
  adam: {
    sphere: { optimizer: { name: 'adam', lr: 0.05 }, maxIterations: 3000, tol: 1e-4 },
    quadratic: { optimizer: { name: 'adam', lr: 0.05 }, maxIterations: 3000, tol: 1e-4 },
    rosenbrock: { optimizer: { name: 'adam', lr: 0.02 }, maxIterations: 20_000, tol: 1e-3 },
  },
  adamw: {
    sphere: { optimizer: { name: 'adamw', lr: 0.05, weightDecay: 0.01 }, maxIterations: 3000, tol: 1e-4 },
    quadratic: { optimizer: { name: 'adamw', lr: 0.05, weightDecay: 0.01 }, maxIterations: 3000, tol: 1e-4 },
    rosenbrock: { optimizer: { name: 'adamw', lr: 0.02, weightDecay: 0 }, maxIterations: 20_000, tol: 1e-3 },
  },
  newton: {
    sphere: { optimizer: { name: 'newton' }, maxIterations: 5, tol: 1e-12 },
    quadratic: { optimizer: { name: 'newton' }, maxIterations: 5, tol: 1e-12 },
    rosenbrock: { optimizer: { name: 'newton' }, maxIterations: 100, tol: 1e-8 },
  },
  lbfgs: {
    sphere: { optimizer: { name: 'lbfgs' }, maxIterations: 20, tol: 1e-8 },
    quadratic: { optimizer: { name: 'lbfgs' }, maxIterations: 50, tol: 1e-8 },
    rosenbrock: { optimizer: { name: 'lbfgs' }, maxIterations: 60, tol: 1e-8 },
  },
};

const objectives = { sphere, quadratic, rosenbrock };
const minimizers = { sphere: [0, 0, 0, 0, 0], quadratic: [0, 0, 0, 0, 0], rosenbrock: [1, 1] };

describe.each(Object.entries(table))('%s', (_optimizer, row) => {
  it.each(Object.entries(row))('reaches the minimum of %s', (objectiveName, testCase) => {
    const name = objectiveName as keyof typeof objectives;
    const { result } = runToCompletion(
      spec({
        objective: objectives[name],
        optimizer: testCase.optimizer,
        schedule: testCase.schedule,
        start: name === 'rosenbrock' ? undefined : { x0: [1, -2, 0.5, 3, -1] },
        stop: { maxIterations: testCase.maxIterations, gradTol: 1e-10 },
      }),
    );
    expect(result.stopReason).not.toBe('diverged');
    const error = Math.max(...(result.x ?? []).map((v, k) => Math.abs(v - minimizers[name][k])));
    expect(error).toBeLessThanOrEqual(testCase.tol);
  });
});

describe('second-order methods', () => {
  it('newton solves a quadratic in one step', () => {
    const { result } = runToCompletion(
      spec({
        objective: {
          type: 'builtin',
          name: 'quadratic',
          dim: 4,
          params: { conditionNumber: 1000, rotate: true },
        },
        optimizer: { name: 'newton' },
        start: { x0: [3, -1, 2, 5] },
      }),
    );
    expect(result.iterations).toBe(1);
    expect(result.stopReason).toBe('grad_tol');
    for (const v of result.x ?? []) expect(Math.abs(v)).toBeLessThan(1e-12);
    expect(result.diagnostics.stationaryPoint).toBe('minimum');
    expect(result.diagnostics.conditionNumber).toBeCloseTo(1000, 6);
  });

  it('exact newton lands on the saddle of x² − y² and says so', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'saddle' },
        optimizer: { name: 'newton', hessian: 'exact' },
        start: { x0: [1, 1e-6] },
      }),
    );
    expect(result.stopReason).toBe('grad_tol');
    expect(Math.abs(result.x?.[0] ?? 1)).toBeLessThan(1e-12);
    expect(Math.abs(result.x?.[1] ?? 1)).toBeLessThan(1e-12);
    expect(result.diagnostics).toEqual({ stationaryPoint: 'saddle', conditionNumber: 1 });
  });

  it('saddle-free newton escapes the saddle from (1, 1e-6)', () => {
    const { result, trajectory } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'saddle' },
        optimizer: { name: 'newton', hessian: 'saddle_free' },
        start: { x0: [1, 1e-6] },
        stop: { maxIterations: 30 },
      }),
    );
    // |H| = diag(2, 2) turns the step into (x, y) → (0, 2y): y doubles, f = −y² falls without bound.
    expect(result.stopReason).toBe('max_iterations');
    expect(Math.abs(result.x?.[1] ?? 0)).toBeGreaterThan(1);
    expect(Math.abs(result.x?.[0] ?? 1)).toBeLessThan(1e-12);
    expect(trajectory.at(-1)?.f).toBeLessThan(-1);
    expect(result.diagnostics.stationaryPoint).toBeNull();
  });

  it('monkey saddle at 0 is degenerate', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'monkey_saddle' },
        optimizer: { name: 'sgd' },
        start: { x0: [0, 0] },
      }),
    );
    expect(result.diagnostics.stationaryPoint).toBe('degenerate');
  });

  it('L-BFGS solves 2-D Rosenbrock from (−1.2, 1) to ‖g‖ <= 1e-8 within 60 iterations', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'rosenbrock' },
        optimizer: { name: 'lbfgs' },
        stop: { maxIterations: 60, gradTol: 1e-8 },
      }),
    );
    expect(result.stopReason).toBe('grad_tol');
    expect(result.gradNorm).toBeLessThanOrEqual(1e-8);
    expect(result.iterations).toBeLessThanOrEqual(60);
    expect(result.diagnostics.stationaryPoint).toBe('minimum');
  });
});
