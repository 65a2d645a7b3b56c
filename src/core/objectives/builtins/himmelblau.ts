import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Himmelblau (2-D): f(x, y) = (x² + y − 11)² + (x + y² − 7)².
 * With r₁ = x² + y − 11, r₂ = x + y² − 7:
 *   ∇f = (4x r₁ + 2r₂, 2r₁ + 4y r₂),
 *   ∇²f = [[12x² + 4y − 42, 4x + 4y], [4x + 4y, 4x + 12y² − 26]].
 * Four global minima, all 0: (3, 2) exactly, and three irrational ones (given to double precision,
 * Newton-polished in 30-digit arithmetic).
 */
class Himmelblau implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const r1 = x0 * x0 + y - 11;
    const r2 = x0 + y * y - 7;
    return r1 * r1 + r2 * r2;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const r1 = x0 * x0 + y - 11;
    const r2 = x0 + y * y - 7;
    g[0] = 4 * x0 * r1 + 2 * r2;
    g[1] = 2 * r1 + 4 * y * r2;
    return r1 * r1 + r2 * r2;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const x0 = x[0];
    const y = x[1];
    const xy = 4 * x0 + 4 * y;
    h[0] = 12 * x0 * x0 + 4 * y - 42;
    h[1] = xy;
    h[2] = xy;
    h[3] = 4 * x0 + 12 * y * y - 26;
  }
}

export const himmelblau: BuiltinDefinition = {
  name: 'himmelblau',
  title: 'Himmelblau',
  latex: 'f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  defaultStart: () => Float64Array.of(0, 0),
  minimizers: () => [
    [3, 2],
    [-2.805118086952745, 3.131312518250573],
    [-3.779310253377747, -3.283185991286169],
    [3.584428340330492, -1.848126526964404],
  ],
  minimum: () => 0,
  box: { x: [-5, 5], y: [-5, 5] },
  create(dim) {
    assertDim('himmelblau', dim, 2, false);
    return new Himmelblau();
  },
};
