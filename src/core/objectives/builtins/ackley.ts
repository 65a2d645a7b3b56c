import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition, repeated } from './definition.ts';

/**
 * Ackley: f(x) = −a exp(−b r) − exp(C/n) + a + e,  r = √(Σᵢ xᵢ²/n),  C = Σᵢ cos(c xᵢ),
 * defaults a = 20, b = 0.2, c = 2π. With E₁ = exp(−b r), E₂ = exp(C/n):
 *   ∂f/∂xᵢ = (a b E₁ / (n r)) xᵢ + (c/n) E₂ sin(c xᵢ),
 *   ∂²f/∂xᵢ∂xⱼ = (a b E₁/(n r)) δᵢⱼ − (a b E₁ (b r + 1)/(n² r)) (xᵢ/r)(xⱼ/r)
 *                + (c²/n) E₂ cos(c xᵢ) δᵢⱼ − (c²/n²) E₂ sin(c xᵢ) sin(c xⱼ).
 * Minimum 0 at 0. Evaluated as a(1 − E₁) + (e − E₂), which is exactly 0 there.
 *
 * At x = 0 exactly (r = 0) the cone term −a exp(−b r) is not differentiable: its gradient
 * (a b E₁/(n r)) x has norm a b/√n from every direction. We return the symmetric limit, 0 (the
 * minimum-norm subgradient, so 0 is a stationary point), and for the Hessian, which grows like
 * 1/r there, only the smooth cosine part, (c²/n)·e·I — positive definite, so 0 still reads as
 * a minimum. Anywhere else both are exact.
 */
class Ackley implements Objective {
  private hessianScratch: Float64Array | null = null;

  constructor(
    readonly dim: number,
    private readonly a: number,
    private readonly b: number,
    private readonly c: number,
  ) {}

  value(x: Float64Array): number {
    const n = this.dim;
    const c = this.c;
    let sumSquares = 0;
    let sumCos = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      sumSquares += xi * xi;
      sumCos += Math.cos(c * xi);
    }
    const r = Math.sqrt(sumSquares / n);
    return this.a * (1 - Math.exp(-this.b * r)) + (Math.E - Math.exp(sumCos / n));
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const a = this.a;
    const b = this.b;
    const c = this.c;
    let sumSquares = 0;
    let sumCos = 0;
    // First pass: the two sums; g holds sin(c xᵢ) until the second pass scales it.
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const angle = c * xi;
      sumSquares += xi * xi;
      sumCos += Math.cos(angle);
      g[i] = Math.sin(angle);
    }
    const r = Math.sqrt(sumSquares / n);
    const coneExp = Math.exp(-b * r);
    const cosineExp = Math.exp(sumCos / n);
    const radial = r === 0 ? 0 : (a * b * coneExp) / (n * r);
    const periodic = (c * cosineExp) / n;
    for (let i = 0; i < n; i++) g[i] = radial * x[i] + periodic * g[i];
    return a * (1 - coneExp) + (Math.E - cosineExp);
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    const a = this.a;
    const b = this.b;
    const c = this.c;
    if (this.hessianScratch === null) this.hessianScratch = new Float64Array(2 * n);
    // unit[i] = xᵢ/r, sine[i] = sin(c xᵢ), both in one scratch buffer.
    const scratch = this.hessianScratch;
    let sumSquares = 0;
    let sumCos = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      sumSquares += xi * xi;
      sumCos += Math.cos(c * xi);
      scratch[n + i] = Math.sin(c * xi);
    }
    const r = Math.sqrt(sumSquares / n);
    const coneExp = Math.exp(-b * r);
    const cosineExp = Math.exp(sumCos / n);
    const inverseR = r === 0 ? 0 : 1 / r;
    for (let i = 0; i < n; i++) scratch[i] = x[i] * inverseR;
    const radial = r === 0 ? 0 : (a * b * coneExp) / (n * r);
    const radialOuter = r === 0 ? 0 : (a * b * coneExp * (b * r + 1)) / (n * n * r);
    const periodicDiagonal = (c * c * cosineExp) / n;
    const periodicOuter = (c * c * cosineExp) / (n * n);
    // Upper triangle, mirrored, so that h is exactly symmetric.
    for (let i = 0; i < n; i++) {
      const ui = scratch[i];
      const si = scratch[n + i];
      const row = i * n;
      h[row + i] =
        radial + periodicDiagonal * Math.cos(c * x[i]) - radialOuter * ui * ui - periodicOuter * si * si;
      for (let j = i + 1; j < n; j++) {
        const hij = -radialOuter * ui * scratch[j] - periodicOuter * si * scratch[n + j];
        h[row + j] = hij;
        h[j * n + i] = hij;
      }
    }
  }
}

export const ackley: BuiltinDefinition = {
  name: 'ackley',
  title: 'Ackley',
  latex:
    'f(x) = -a \\exp\\!\\Big(-b \\sqrt{\\tfrac{1}{n} \\textstyle\\sum_{i=1}^{n} x_i^2}\\Big)' +
    ' - \\exp\\!\\Big(\\tfrac{1}{n} \\textstyle\\sum_{i=1}^{n} \\cos(c\\, x_i)\\Big) + a + e',
  anyDim: true,
  minDim: 1,
  defaultDim: 2,
  params: {
    a: { default: 20, min: 0, description: 'a, the depth of the outer funnel' },
    b: { default: 0.2, min: 0, description: 'b, the decay rate of the outer funnel' },
    c: { default: 2 * Math.PI, description: 'c, the angular frequency of the cosine ripples' },
  },
  defaultStart: (dim) => repeated(dim, [1.7, -2.3]),
  minimizers: (dim) => [new Array<number>(dim).fill(0)],
  minimum: () => 0,
  box: { x: [-5, 5], y: [-5, 5] },
  create(dim, params) {
    assertDim('ackley', dim, 1, true);
    return new Ackley(dim, params.a as number, params.b as number, params.c as number);
  },
};
