import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Beale (2-D): f(x, y) = r₁² + r₂² + r₃² with
 *   r₁ = 1.5 − x + xy,  r₂ = 2.25 − x + xy²,  r₃ = 2.625 − x + xy³.
 *   ∇r₁ = (y − 1, x),  ∇r₂ = (y² − 1, 2xy),  ∇r₃ = (y³ − 1, 3xy²);
 *   ∇f = 2 Σ rₖ ∇rₖ,  ∇²f = 2 Σ (∇rₖ ∇rₖᵀ + rₖ ∇²rₖ) with
 *   ∇²r₁ = [[0, 1], [1, 0]],  ∇²r₂ = [[0, 2y], [2y, 2x]],  ∇²r₃ = [[0, 3y²], [3y², 6xy]].
 * Minimum 0 at (3, 0.5).
 */
class Beale implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const y2 = y * y;
    const y3 = y2 * y;
    const r1 = 1.5 - x0 + x0 * y;
    const r2 = 2.25 - x0 + x0 * y2;
    const r3 = 2.625 - x0 + x0 * y3;
    return r1 * r1 + r2 * r2 + r3 * r3;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const y2 = y * y;
    const y3 = y2 * y;
    const r1 = 1.5 - x0 + x0 * y;
    const r2 = 2.25 - x0 + x0 * y2;
    const r3 = 2.625 - x0 + x0 * y3;
    g[0] = 2 * (r1 * (y - 1) + r2 * (y2 - 1) + r3 * (y3 - 1));
    g[1] = 2 * x0 * (r1 + 2 * y * r2 + 3 * y2 * r3);
    return r1 * r1 + r2 * r2 + r3 * r3;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const x0 = x[0];
    const y = x[1];
    const y2 = y * y;
    const y3 = y2 * y;
    const r1 = 1.5 - x0 + x0 * y;
    const r2 = 2.25 - x0 + x0 * y2;
    const r3 = 2.625 - x0 + x0 * y3;
    const a1 = y - 1;
    const a2 = y2 - 1;
    const a3 = y3 - 1;
    const b1 = x0;
    const b2 = 2 * x0 * y;
    const b3 = 3 * x0 * y2;
    const xx = 2 * (a1 * a1 + a2 * a2 + a3 * a3);
    const xy = 2 * (a1 * b1 + a2 * b2 + a3 * b3 + r1 + 2 * y * r2 + 3 * y2 * r3);
    const yy = 2 * (b1 * b1 + b2 * b2 + b3 * b3 + 2 * x0 * r2 + 6 * x0 * y * r3);
    h[0] = xx;
    h[1] = xy;
    h[2] = xy;
    h[3] = yy;
  }
}

export const beale: BuiltinDefinition = {
  name: 'beale',
  title: 'Beale',
  latex: 'f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  defaultStart: () => Float64Array.of(1, 1),
  minimizers: () => [[3, 0.5]],
  minimum: () => 0,
  box: { x: [-4.5, 4.5], y: [-4.5, 4.5] },
  create(dim) {
    assertDim('beale', dim, 2, false);
    return new Beale();
  },
};
