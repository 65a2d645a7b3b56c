import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition, repeated, zeroFill } from './definition.ts';

/**
 * Styblinski–Tang: f(x) = ½ Σᵢ (xᵢ⁴ − 16xᵢ² + 5xᵢ),
 *   ∂f/∂xᵢ = 2xᵢ³ − 16xᵢ + 2.5,  ∂²f/∂xᵢ² = 6xᵢ² − 16 (diagonal Hessian).
 * Each coordinate has a global minimum at x* ≈ −2.903534 and a local one at ≈ 2.746803, so the
 * global minimum is ≈ −39.16617·n at (x*, …, x*).
 */

/** The root of 2x³ − 16x + 2.5 near −2.9 and ½(x⁴ − 16x² + 5x) there (30-digit Newton, rounded). */
export const STYBLINSKI_TANG_ARGMIN = -2.903534027771177;
export const STYBLINSKI_TANG_MIN_PER_DIM = -39.16616570377142;

class StyblinskiTang implements Objective {
  constructor(readonly dim: number) {}

  value(x: Float64Array): number {
    const n = this.dim;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const xi2 = xi * xi;
      f += xi2 * xi2 - 16 * xi2 + 5 * xi;
    }
    return 0.5 * f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const xi2 = xi * xi;
      f += xi2 * xi2 - 16 * xi2 + 5 * xi;
      g[i] = 2 * xi2 * xi - 16 * xi + 2.5;
    }
    return 0.5 * f;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    zeroFill(h, n);
    for (let i = 0; i < n; i++) h[i * n + i] = 6 * x[i] * x[i] - 16;
  }
}

export const styblinskiTang: BuiltinDefinition = {
  name: 'styblinski_tang',
  title: 'Styblinski–Tang',
  latex: 'f(x) = \\tfrac{1}{2} \\sum_{i=1}^{n} \\left( x_i^4 - 16 x_i^2 + 5 x_i \\right)',
  anyDim: true,
  minDim: 1,
  defaultDim: 2,
  params: {},
  // 0.5 slides to the local minimum near 2.75, −0.5 to the global one: one coordinate of each.
  defaultStart: (dim) => repeated(dim, [0.5, -0.5]),
  minimizers: (dim) => [new Array<number>(dim).fill(STYBLINSKI_TANG_ARGMIN)],
  minimum: (dim) => STYBLINSKI_TANG_MIN_PER_DIM * dim,
  box: { x: [-5, 5], y: [-5, 5] },
  create(dim) {
    assertDim('styblinski_tang', dim, 1, true);
    return new StyblinskiTang(dim);
  },
};
