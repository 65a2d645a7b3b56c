import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../src/core/optimizers/index.ts';
import type { Objective } from '../../../src/core/types.ts';
import { type OptimizerInput, optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { quadratic, saddle, trajectory } from './test-objectives.ts';

function newton(spec: Partial<Extract<OptimizerInput, { name: 'newton' }>> = {}) {
  return createOptimizer(optimizerSchema.parse({ name: 'newton', ...spec }));
}

/** An SPD 3×3 system, solved here by Cramer's rule. */
const A = [
  [4, 1, 0.5],
  [1, 3, -0.4],
  [0.5, -0.4, 2],
];
const b = [1, -2, 0.5];
function det3(m: number[][]): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}
const minimiser = [0, 1, 2]
  .map((column) => det3(A.map((row, i) => row.map((value, j) => (j === column ? b[i] : value)))))
  .map((value) => value / det3(A));

describe('newton', () => {
  it.each(['backtracking', 'none'] as const)(
    'solves ½xᵀAx − bᵀx with a 3×3 SPD A in one step to 1e-12 (lineSearch %s)',
    (lineSearch) => {
      const [x1] = trajectory(newton({ lineSearch }), quadratic(A, b), [3, -1, 2], 1, 1);
      for (let i = 0; i < 3; i++) expect(Math.abs(x1[i] - minimiser[i])).toBeLessThanOrEqual(1e-12);
    },
  );

  it('exact newton from (1, 1e-6) on x² − y² lands on the saddle (0, 0)', () => {
    for (const lineSearch of ['backtracking', 'none'] as const) {
      const [x1] = trajectory(newton({ lineSearch }), saddle, [1, 1e-6], 1, 1);
      expect(Math.abs(x1[0])).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(x1[1])).toBeLessThanOrEqual(1e-12);
    }
  });

  it('saddle-free newton from (1, 1e-6) on x² − y² escapes: |y| doubles each step and f decreases', () => {
    const points = trajectory(newton({ hessian: 'saddle_free' }), saddle, [1, 1e-6], 1, 3);
    // |H| = diag(2, 2): d = −(x, −y), so (x, y) → (0, 2y)
    expect(points).toEqual([
      [0, 2e-6],
      [0, 4e-6],
      [0, 8e-6],
    ]);
    let f = 1 - 1e-12;
    for (const [x, y] of points) {
      const next = x * x - y * y;
      expect(next).toBeLessThan(f);
      f = next;
    }
  });

  it('exact newton takes the full step when d is not a descent direction', () => {
    // at (0.001, 1): d = −(0.001, 1), gᵀd = −2e-6 + 2 > 0; the step still goes to the saddle, f rises
    const [x1] = trajectory(newton(), saddle, [0.001, 1], 1, 1);
    expect(x1).toEqual([0, 0]);
  });

  /** f(x) = √(1 + x²): g = x/√(1+x²), H = (1+x²)^(−3/2), so the Newton direction is −x(1+x²). */
  const pseudoHuber: Objective = {
    dim: 1,
    value: (x) => Math.sqrt(1 + x[0] * x[0]),
    valueAndGradient(x, g) {
      const r = Math.sqrt(1 + x[0] * x[0]);
      g[0] = x[0] / r;
      return r;
    },
    hessian(x, h) {
      h[0] = (1 + x[0] * x[0]) ** -1.5;
    },
  };

  it('backtracking halves the step until Armijo holds', () => {
    // from x = 2, d = −10: α = 1 → −8 (f = √65), α = ½ → −3 (f = √10), both above f(2) = √5;
    // α = ¼ → −0.5 (f = √1.25 ≤ √5 − 1e-4·¼·8.94): accepted
    const [x1] = trajectory(newton(), pseudoHuber, [2], 1, 1);
    expect(x1[0]).toBeCloseTo(-0.5, 12);
    const [unsearched] = trajectory(newton({ lineSearch: 'none' }), pseudoHuber, [2], 1, 1);
    expect(unsearched[0]).toBeCloseTo(-8, 12);
  });

  /** f = x² + y: H = diag(2, 0) is singular. */
  const halfLinear: Objective = {
    dim: 2,
    value: (x) => x[0] * x[0] + x[1],
    valueAndGradient(x, g) {
      g[0] = 2 * x[0];
      g[1] = 1;
      return x[0] * x[0] + x[1];
    },
    hessian(_x, h) {
      h.set([2, 0, 0, 0]);
    },
  };

  it('exact newton with a singular H falls back to the damped H + λI', () => {
    const [x1] = trajectory(newton({ lineSearch: 'none', damping: 0.01 }), halfLinear, [1, 0], 1, 1);
    // d = −(2·1/(2 + 0.01), 1/0.01)
    expect(x1[0]).toBeCloseTo(1 - 2 / 2.01, 14);
    expect(x1[1]).toBeCloseTo(-100, 10);
  });

  it('with damping 0 and a singular H the direction is steepest descent', () => {
    const [x1] = trajectory(newton({ lineSearch: 'none', damping: 0 }), halfLinear, [1, 0], 0.5, 1);
    expect(x1).toEqual([1 - 0.5 * 2, -0.5]);
  });

  it('saddle-free floors |λ| at damping', () => {
    const spec = { hessian: 'saddle_free', lineSearch: 'none', damping: 0.01 } as const;
    const [x1] = trajectory(newton(spec), halfLinear, [1, 0], 1, 1);
    // |H| = diag(2, max(0, 0.01)): d = −(2/2, 1/0.01)
    expect(x1[0]).toBeCloseTo(0, 14);
    expect(x1[1]).toBeCloseTo(-100, 10);
  });

  it('saddle-free newton matches exact newton on a convex quadratic', () => {
    const start = [3, -1, 2];
    const [exact] = trajectory(newton({ lineSearch: 'none' }), quadratic(A, b), start, 0.7, 1);
    const [free] = trajectory(
      newton({ hessian: 'saddle_free', lineSearch: 'none' }),
      quadratic(A, b),
      start,
      0.7,
      1,
    );
    for (let i = 0; i < 3; i++) expect(free[i]).toBeCloseTo(exact[i], 12);
  });

  it('throws a clear error for an objective without a Hessian', () => {
    const noHessian: Objective = {
      dim: 1,
      value: (x) => x[0] ** 2,
      valueAndGradient(x, g) {
        g[0] = 2 * x[0];
        return x[0] ** 2;
      },
    };
    expect(() => trajectory(newton(), noHessian, [1], 1, 1)).toThrow(/Hessian/);
  });
});
