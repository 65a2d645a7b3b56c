import { describe, expect, it } from 'vitest';
import { Run, runToCompletion } from '../../src/core/run.ts';
import type { Objective } from '../../src/core/types.ts';
import { spec } from './spec-helpers.ts';

/**
 * The line-search optimizers (lbfgs, newton) in whole runs: a search that finds no step ends the
 * run `line_search_failed` (never a zero step that passes for f_tol), and the point a search
 * accepted is not evaluated a second time by the run loop.
 */

type Evaluating = 'value' | 'valueAndGradient' | 'valueGradientAndNormSquared';

/**
 * Counts, by point, every evaluation the run makes from now on: each evaluating method of the
 * run's objective is replaced on the instance by a wrapper that records x (the run's counted
 * wrapper looks the method up at each call). The start was evaluated once, in the constructor.
 */
function recordEvaluations(run: Run): { points: string[]; gradients: number } {
  const record = { points: [] as string[], gradients: 0 };
  const objective = run.objective as Objective & Record<Evaluating, (...args: never[]) => number>;
  for (const name of ['value', 'valueAndGradient', 'valueGradientAndNormSquared'] as const) {
    const original = objective[name] as ((x: Float64Array, ...rest: unknown[]) => number) | undefined;
    if (original === undefined) continue;
    Object.defineProperty(objective, name, {
      configurable: true,
      value: (x: Float64Array, ...rest: unknown[]) => {
        record.points.push(JSON.stringify([...x]));
        if (name !== 'value') record.gradients++;
        return original.call(objective, x, ...rest);
      },
    });
  }
  return record;
}

describe('every accepted point is evaluated once, and evaluations count the calls made', () => {
  it.each([
    ['lbfgs', { name: 'lbfgs' }],
    ['newton (backtracking)', { name: 'newton' }],
  ])('%s on 2-D Rosenbrock', (_name, optimizer) => {
    const run = new Run(
      spec({
        objective: { type: 'builtin', name: 'rosenbrock' },
        optimizer,
        stop: { maxIterations: 200, gradTol: 1e-9 },
        record: { every: 1, params: true },
      }),
    );
    const calls = recordEvaluations(run);
    const trajectory = run.takePoints();
    while (!run.advance()) {}
    trajectory.push(...run.takePoints());
    const result = run.result();
    expect(result.stopReason).toBe('grad_tol');
    expect(trajectory).toHaveLength(result.iterations + 1);
    // Each iterate after the start was evaluated exactly once (the line search's trial, reused).
    for (const point of trajectory.slice(1)) {
      expect(calls.points.filter((x) => x === JSON.stringify(point.x)).length).toBe(1);
    }
    // The counters are the calls made: the start's, then every recorded call.
    expect(result.evaluations.f).toBe(1 + calls.points.length);
    expect(result.evaluations.gradient).toBe(1 + calls.gradients);
    if (optimizer.name === 'newton') expect(result.evaluations.hessian).toBe(result.iterations);
  });

  it('lbfgs on 2-D Rosenbrock to gradTol 1e-6 makes 45 evaluations in 36 iterations (scipy L-BFGS-B: 45); it made 81', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'rosenbrock' },
        optimizer: { name: 'lbfgs', history: 10 },
        stop: { maxIterations: 1000, gradTol: 1e-6, fTol: null },
      }),
    );
    expect(result).toMatchObject({ stopReason: 'grad_tol', iterations: 36 });
    expect(result.evaluations).toEqual({ f: 45, gradient: 45, hessian: 0 });
  });

  it('newton on 2-D Rosenbrock to gradTol 1e-6 makes 29 evaluations in 21 iterations; it made 50', () => {
    const { result } = runToCompletion(
      spec({
        objective: { type: 'builtin', name: 'rosenbrock' },
        optimizer: { name: 'newton' },
        stop: { maxIterations: 1000, gradTol: 1e-6, fTol: null },
      }),
    );
    expect(result).toMatchObject({ stopReason: 'grad_tol', iterations: 21 });
    expect(result.evaluations).toEqual({ f: 29, gradient: 29, hessian: 21 });
  });
});

describe('a line search that finds no step ends the run line_search_failed, not converged', () => {
  const kink = { type: 'expression', expression: 'abs(x) + abs(y)' } as const;

  it.each([
    ['lbfgs', { name: 'lbfgs' }],
    ['newton', { name: 'newton' }],
  ])('%s at the kink of |x| + |y| (f_tol and converged before)', (_name, optimizer) => {
    const { result, trajectory } = runToCompletion(
      spec({ objective: kink, optimizer, start: { x0: [1, 0.5] }, record: { every: 1, params: true } }),
    );
    expect(result.stopReason).toBe('line_search_failed');
    expect(result.converged).toBe(false);
    // Not a stationary point: ‖g‖ = √2 wherever neither coordinate is 0.
    expect(result.gradNorm).toBeCloseTo(Math.SQRT2, 12);
    // The run ends on the last iterate, recorded once as the final point; no zero step was taken.
    const last = trajectory.at(-1)!;
    expect(last.i).toBe(result.iterations);
    expect(last.x).toEqual(result.x);
    expect(new Set(trajectory.map((point) => point.i)).size).toBe(trajectory.length);
    for (let k = 1; k < trajectory.length; k++) expect(trajectory[k].f).toBeLessThan(trajectory[k - 1].f);
  });

  it.each([
    ['lbfgs on sphere, std 1', { name: 'lbfgs' }, { type: 'builtin', name: 'sphere' }, 1],
    ['lbfgs on rosenbrock, std 0.1', { name: 'lbfgs' }, { type: 'builtin', name: 'rosenbrock' }, 0.1],
    ['newton on rosenbrock, std 1', { name: 'newton' }, { type: 'builtin', name: 'rosenbrock' }, 1],
  ])('%s: under gradient noise', (_name, optimizer, objective, std) => {
    const { result } = runToCompletion(spec({ objective, optimizer, gradientNoise: { std } }));
    expect(result.stopReason).toBe('line_search_failed');
    expect(result.converged).toBe(false);
    expect(result.gradNorm).toBeGreaterThan(1e-3);
  });

  it('a resumed run fails at the same iteration as the uninterrupted one', () => {
    const input = spec({ objective: kink, optimizer: { name: 'lbfgs' }, start: { x0: [1, 0.5] } });
    const reference = runToCompletion(input).result;
    const first = new Run(input);
    first.advance(Number.POSITIVE_INFINITY, reference.iterations - 2);
    const resumed = new Run(input, { checkpoint: JSON.parse(JSON.stringify(first.checkpoint())) });
    while (!resumed.advance()) {}
    expect({ ...resumed.result(), wallMs: 0 }).toEqual({ ...reference, wallMs: 0 });
  });
});
