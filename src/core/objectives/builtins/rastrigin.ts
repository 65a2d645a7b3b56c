import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition, repeated, zeroFill } from './definition.ts';

const TWO_PI = 2 * Math.PI;

/**
 * Rastrigin: f(x) = A n + Σᵢ (xᵢ² − A cos 2πxᵢ),  default A = 10.
 *   ∂f/∂xᵢ = 2xᵢ + 2πA sin 2πxᵢ,  ∂²f/∂xᵢ² = 2 + 4π²A cos 2πxᵢ (diagonal Hessian).
 * Minimum 0 at 0 (for A >= 0), surrounded by a lattice of local minima near the integers.
 */
class Rastrigin implements Objective {
  constructor(
    readonly dim: number,
    private readonly A: number,
  ) {}

  value(x: Float64Array): number {
    const n = this.dim;
    const A = this.A;
    let f = A * n;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      f += xi * xi - A * Math.cos(TWO_PI * xi);
    }
    return f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const A = this.A;
    const twoPiA = TWO_PI * A;
    let f = A * n;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const angle = TWO_PI * xi;
      f += xi * xi - A * Math.cos(angle);
      g[i] = 2 * xi + twoPiA * Math.sin(angle);
    }
    return f;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    const curvature = TWO_PI * TWO_PI * this.A;
    zeroFill(h, n);
    for (let i = 0; i < n; i++) h[i * n + i] = 2 + curvature * Math.cos(TWO_PI * x[i]);
  }
}

export const rastrigin: BuiltinDefinition = {
  name: 'rastrigin',
  title: 'Rastrigin',
  latex: 'f(x) = A n + \\sum_{i=1}^{n} \\left[ x_i^2 - A \\cos(2 \\pi x_i) \\right]',
  anyDim: true,
  minDim: 1,
  defaultDim: 2,
  params: {
    A: { default: 10, min: 0, description: 'A, the amplitude of the cosine ripples' },
  },
  defaultStart: (dim) => repeated(dim, [3.3, -2.6]),
  minimizers: (dim) => [new Array<number>(dim).fill(0)],
  minimum: () => 0,
  box: { x: [-5.12, 5.12], y: [-5.12, 5.12] },
  create(dim, params) {
    assertDim('rastrigin', dim, 1, true);
    return new Rastrigin(dim, params.A as number);
  },
};
