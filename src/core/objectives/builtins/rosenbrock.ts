import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition, type BuiltinParams, repeated, zeroFill } from './definition.ts';

/**
 * Rosenbrock (the chained n-dimensional form):
 *   f(x) = Σᵢ₌₀ⁿ⁻² b (xᵢ₊₁ − xᵢ²)² + (a − xᵢ)²,  defaults a = 1, b = 100.
 * With tᵢ = xᵢ₊₁ − xᵢ² and uᵢ = a − xᵢ, term i contributes
 *   ∂/∂xᵢ = −4b xᵢ tᵢ − 2uᵢ,  ∂/∂xᵢ₊₁ = 2b tᵢ,
 *   ∂²/∂xᵢ² = 12b xᵢ² − 4b xᵢ₊₁ + 2,  ∂²/∂xᵢ∂xᵢ₊₁ = −4b xᵢ,  ∂²/∂xᵢ₊₁² = 2b
 * (a tridiagonal Hessian). Minimum 0 at (a, a²) when n = 2, and at (a, …, a) when a ∈ {0, 1};
 * for other a and n > 2 the minimiser has no closed form.
 */
class Rosenbrock implements Objective {
  constructor(
    readonly dim: number,
    private readonly a: number,
    private readonly b: number,
  ) {}

  value(x: Float64Array): number {
    const n = this.dim;
    const a = this.a;
    const b = this.b;
    let f = 0;
    let xi = x[0];
    for (let i = 0; i < n - 1; i++) {
      const next = x[i + 1];
      const t = next - xi * xi;
      const u = a - xi;
      f += b * t * t + u * u;
      xi = next;
    }
    return f;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const n = this.dim;
    const a = this.a;
    const b = this.b;
    let f = 0;
    let xi = x[0];
    // The previous term's ∂/∂xᵢ, added when term i writes gᵢ.
    let carry = 0;
    for (let i = 0; i < n - 1; i++) {
      const next = x[i + 1];
      const t = next - xi * xi;
      const u = a - xi;
      f += b * t * t + u * u;
      g[i] = carry - 4 * b * xi * t - 2 * u;
      carry = 2 * b * t;
      xi = next;
    }
    g[n - 1] = carry;
    return f;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const n = this.dim;
    const b = this.b;
    zeroFill(h, n);
    for (let i = 0; i < n - 1; i++) {
      const xi = x[i];
      const diagonal = i * n + i;
      h[diagonal] += 12 * b * xi * xi - 4 * b * x[i + 1] + 2;
      h[diagonal + 1] = -4 * b * xi;
      h[diagonal + n] = -4 * b * xi;
      h[diagonal + n + 1] += 2 * b;
    }
  }
}

/** The 2-D case reads x[0], x[1] directly: f = b (y − x²)² + (a − x)². */
class Rosenbrock2 implements Objective {
  readonly dim = 2;

  constructor(
    private readonly a: number,
    private readonly b: number,
  ) {}

  value(x: Float64Array): number {
    const x0 = x[0];
    const t = x[1] - x0 * x0;
    const u = this.a - x0;
    return this.b * t * t + u * u;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const b = this.b;
    const x0 = x[0];
    const t = x[1] - x0 * x0;
    const u = this.a - x0;
    g[0] = -4 * b * x0 * t - 2 * u;
    g[1] = 2 * b * t;
    return b * t * t + u * u;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const b = this.b;
    const x0 = x[0];
    h[0] = 12 * b * x0 * x0 - 4 * b * x[1] + 2;
    h[1] = -4 * b * x0;
    h[2] = -4 * b * x0;
    h[3] = 2 * b;
  }
}

function minimizer(dim: number, params: BuiltinParams): number[] | null {
  const a = params.a as number;
  if (dim === 2) return [a, a * a];
  if (a === 0 || a === 1) return new Array<number>(dim).fill(a);
  return null;
}

export const rosenbrock: BuiltinDefinition = {
  name: 'rosenbrock',
  title: 'Rosenbrock',
  latex: 'f(x) = \\sum_{i=1}^{n-1} \\left[ b\\,(x_{i+1} - x_i^2)^2 + (a - x_i)^2 \\right]',
  anyDim: true,
  minDim: 2,
  defaultDim: 2,
  params: {
    a: { default: 1, description: 'a; the valley leads to (a, a²)' },
    b: { default: 100, min: 0, description: 'b, the steepness of the valley walls' },
  },
  defaultStart: (dim) => repeated(dim, [-1.2, 1]),
  minimizers(dim, params) {
    const x = minimizer(dim, params);
    return x === null ? null : [x];
  },
  minimum: (dim, params) => (minimizer(dim, params) === null ? null : 0),
  box: { x: [-2, 2], y: [-1, 3] },
  create(dim, params) {
    assertDim('rosenbrock', dim, 2, true);
    const a = params.a as number;
    const b = params.b as number;
    return dim === 2 ? new Rosenbrock2(a, b) : new Rosenbrock(dim, a, b);
  },
};
