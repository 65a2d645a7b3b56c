import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Booth (2-D): f(x, y) = (x + 2y − 7)² + (2x + y − 5)²,
 *   ∇f = (2r₁ + 4r₂, 4r₁ + 2r₂) with r₁ = x + 2y − 7, r₂ = 2x + y − 5;  ∇²f = [[10, 8], [8, 10]].
 * Minimum 0 at (1, 3).
 */
class Booth implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    const r1 = x[0] + 2 * x[1] - 7;
    const r2 = 2 * x[0] + x[1] - 5;
    return r1 * r1 + r2 * r2;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const r1 = x[0] + 2 * x[1] - 7;
    const r2 = 2 * x[0] + x[1] - 5;
    g[0] = 2 * r1 + 4 * r2;
    g[1] = 4 * r1 + 2 * r2;
    return r1 * r1 + r2 * r2;
  }

  hessian(_x: Float64Array, h: Float64Array): void {
    h[0] = 10;
    h[1] = 8;
    h[2] = 8;
    h[3] = 10;
  }
}

export const booth: BuiltinDefinition = {
  name: 'booth',
  title: 'Booth',
  latex: 'f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  defaultStart: () => Float64Array.of(-5, -5),
  minimizers: () => [[1, 3]],
  minimum: () => 0,
  box: { x: [-10, 10], y: [-10, 10] },
  create(dim) {
    assertDim('booth', dim, 2, false);
    return new Booth();
  },
};
