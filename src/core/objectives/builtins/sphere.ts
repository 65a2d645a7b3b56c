import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition, repeated, scratch, zeroFill } from './definition.ts';

/**
 * Sphere: f(x) = Σᵢ xᵢ², ∇f = 2x, ∇²f = 2I. Minimum 0 at 0.
 */
class Sphere implements Objective {
  constructor(readonly dim: number) {}

  value(x: Float64Array): number {
    const n = this.dim;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      f += xi * xi;
    }
    return f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    return this.valueGradientAndNormSquared(x, g, scratch);
  }

  valueGradientAndNormSquared(x: Float64Array, g: Float64Array, normSquared: Float64Array): number {
    const n = this.dim;
    let f = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const gi = 2 * xi;
      f += xi * xi;
      g[i] = gi;
      sum += gi * gi;
    }
    normSquared[0] = sum;
    return f;
  }

  hessian(_x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    zeroFill(h, n);
    for (let i = 0; i < n; i++) h[i * n + i] = 2;
  }
}

export const sphere: BuiltinDefinition = {
  name: 'sphere',
  title: 'Sphere',
  latex: 'f(x) = \\sum_{i=1}^{n} x_i^2',
  anyDim: true,
  minDim: 1,
  defaultDim: 2,
  params: {},
  defaultStart: (dim) => repeated(dim, [1, 1.5]),
  minimizers: (dim) => [new Array<number>(dim).fill(0)],
  minimum: () => 0,
  box: { x: [-2, 2], y: [-2, 2] },
  create(dim) {
    assertDim('sphere', dim, 1, true);
    return new Sphere(dim);
  },
};
