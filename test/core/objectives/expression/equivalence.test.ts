import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../../../../src/core/run.ts';
import type { TrajectoryPoint } from '../../../../src/core/types.ts';
import { spec } from '../../spec-helpers.ts';

/**
 * The same job spec run on an expression and on the equivalent builtin gives the same trajectory.
 * The expressions are the textbook formulas, written independently of the builtins' code, so the
 * two evaluate in different orders and agree to rounding, not bit for bit.
 *
 * "Same to 1e-9 relative": every point has the same i and lr, and
 *   x:        |Δxⱼ| <= 1e-9 · max(1, |xⱼ|)
 *   f, ‖g‖:   |Δ| <= 1e-9 · max(|a|, |b|) + 1e-12 · (the start's value)
 * The small absolute floor is for values that fall to rounding level as a run converges (f → 0 at
 * a minimum, ‖g‖ → 0 at any stationary point), where no two formulas agree relatively.
 */

const CASES = [
  { builtin: 'rosenbrock', expression: '(1-x)^2 + 100*(y-x^2)^2', x0: [-1.2, 1] },
  {
    builtin: 'beale',
    expression: '(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2',
    x0: [1, 1.5],
  },
  { builtin: 'himmelblau', expression: '(x^2 + y - 11)^2 + (x + y^2 - 7)^2', x0: [-1, 1] },
  {
    builtin: 'ackley',
    expression: '-20*exp(-0.2*sqrt((x^2+y^2)/2)) - exp((cos(2*pi*x)+cos(2*pi*y))/2) + 20 + e',
    x0: [1.7, -2.3],
  },
] as const;

const OPTIMIZERS = [
  { name: 'adam', lr: 0.01 },
  { name: 'lbfgs' },
  { name: 'newton', hessian: 'exact' },
  { name: 'newton', hessian: 'saddle_free' },
  { name: 'momentum', lr: 1e-4 },
] as const;

function expectSameTrajectory(builtin: TrajectoryPoint[], expression: TrajectoryPoint[]): void {
  expect(expression.map((point) => point.i)).toEqual(builtin.map((point) => point.i));
  const [f0, gradNorm0] = [Math.abs(builtin[0]!.f), builtin[0]!.gradNorm];
  const close = (a: number, b: number, floor: number) =>
    Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + floor;
  builtin.forEach((point, k) => {
    const other = expression[k]!;
    const where = `point ${point.i}`;
    expect(other.lr, where).toBe(point.lr);
    expect(close(other.f, point.f, 1e-12 * f0), `${where}: f ${other.f} vs ${point.f}`).toBe(true);
    expect(
      close(other.gradNorm, point.gradNorm, 1e-12 * gradNorm0),
      `${where}: ‖g‖ ${other.gradNorm} vs ${point.gradNorm}`,
    ).toBe(true);
    point.x!.forEach((xj, j) => {
      expect(Math.abs(other.x![j]! - xj), `${where}: x[${j}]`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(xj)),
      );
    });
  });
}

describe('expression objectives run like the equivalent builtins', () => {
  for (const { builtin, expression, x0 } of CASES) {
    for (const optimizer of OPTIMIZERS) {
      const label = 'hessian' in optimizer ? `${optimizer.name} (${optimizer.hessian})` : optimizer.name;
      it(`${builtin}: ${label} gives the same trajectory and result`, () => {
        const base = {
          optimizer,
          start: { x0 },
          stop: { maxIterations: 300 },
          record: { every: 1, params: true },
        };
        const reference = runToCompletion(spec({ ...base, objective: { type: 'builtin', name: builtin } }));
        const typed = runToCompletion(spec({ ...base, objective: { type: 'expression', expression } }));

        expectSameTrajectory(reference.trajectory, typed.trajectory);
        expect(typed.result.stopReason).toBe(reference.result.stopReason);
        expect(typed.result.iterations).toBe(reference.result.iterations);
        expect(typed.result.evaluations).toEqual(reference.result.evaluations);
        expect(typed.result.diagnostics.stationaryPoint).toBe(reference.result.diagnostics.stationaryPoint);
        expect(typed.result.diagnostics.conditionNumber).toBeCloseTo(
          reference.result.diagnostics.conditionNumber!,
          6,
        );
        if (optimizer.name === 'newton') expect(typed.result.evaluations.hessian).toBeGreaterThan(0);
      });
    }
  }

  it('reports a domain error as a diverged run, not an exception', () => {
    const { result, trajectory } = runToCompletion(
      spec({
        objective: { type: 'expression', expression: 'log(x) + y^2' },
        optimizer: { name: 'sgd', lr: 1 },
        start: { x0: [0.5, 1] },
        stop: { maxIterations: 10 },
      }),
    );
    // Step 1: x ← 0.5 − 1·(1/0.5) = −1.5, where log is NaN.
    expect(result.stopReason).toBe('diverged');
    expect(result.iterations).toBe(1);
    expect(result.x).toEqual([0.5, 1]);
    expect(trajectory.map((point) => point.i)).toEqual([0]);
  });
});
