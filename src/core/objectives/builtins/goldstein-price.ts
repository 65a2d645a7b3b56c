import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Goldstein–Price (2-D): f(x, y) = A·B with
 *   A = 1 + s² P,  s = x + y + 1,  P = 19 − 14x + 3x² − 14y + 6xy + 3y²,
 *   B = 30 + d² Q,  d = 2x − 3y,   Q = 18 − 32x + 12x² + 48y − 36xy + 27y².
 * Pₓ = P_y = 6x + 6y − 14, so Aₓ = A_y = 2sP + s²Pₓ and Aₓₓ = Aₓᵧ = A_yy = 2P + 4sPₓ + 6s²;
 * Qₓ = 24x − 36y − 32, Q_y = 54y − 36x + 48,
 *   Bₓ = 4dQ + d²Qₓ,  B_y = −6dQ + d²Q_y,
 *   Bₓₓ = 8Q + 8dQₓ + 24d²,  Bₓᵧ = −12Q + 4dQ_y − 6dQₓ − 36d²,  B_yy = 18Q − 12dQ_y + 54d².
 * ∇f = (AₓB + ABₓ, A_yB + AB_y), ∇²f by the product rule. Minimum 3 at (0, −1).
 */
class GoldsteinPrice implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const s = x0 + y + 1;
    const p = 19 - 14 * x0 + 3 * x0 * x0 - 14 * y + 6 * x0 * y + 3 * y * y;
    const d = 2 * x0 - 3 * y;
    const q = 18 - 32 * x0 + 12 * x0 * x0 + 48 * y - 36 * x0 * y + 27 * y * y;
    return (1 + s * s * p) * (30 + d * d * q);
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    const s = x0 + y + 1;
    const p = 19 - 14 * x0 + 3 * x0 * x0 - 14 * y + 6 * x0 * y + 3 * y * y;
    const d = 2 * x0 - 3 * y;
    const q = 18 - 32 * x0 + 12 * x0 * x0 + 48 * y - 36 * x0 * y + 27 * y * y;
    const a = 1 + s * s * p;
    const b = 30 + d * d * q;
    const aPrime = 2 * s * p + s * s * (6 * x0 + 6 * y - 14);
    const bx = 4 * d * q + d * d * (24 * x0 - 36 * y - 32);
    const by = -6 * d * q + d * d * (54 * y - 36 * x0 + 48);
    g[0] = aPrime * b + a * bx;
    g[1] = aPrime * b + a * by;
    return a * b;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const x0 = x[0];
    const y = x[1];
    const s = x0 + y + 1;
    const p = 19 - 14 * x0 + 3 * x0 * x0 - 14 * y + 6 * x0 * y + 3 * y * y;
    const px = 6 * x0 + 6 * y - 14;
    const d = 2 * x0 - 3 * y;
    const q = 18 - 32 * x0 + 12 * x0 * x0 + 48 * y - 36 * x0 * y + 27 * y * y;
    const qx = 24 * x0 - 36 * y - 32;
    const qy = 54 * y - 36 * x0 + 48;
    const a = 1 + s * s * p;
    const b = 30 + d * d * q;
    const aPrime = 2 * s * p + s * s * px;
    const aSecond = 2 * p + 4 * s * px + 6 * s * s;
    const bx = 4 * d * q + d * d * qx;
    const by = -6 * d * q + d * d * qy;
    const bxx = 8 * q + 8 * d * qx + 24 * d * d;
    const bxy = -12 * q + 4 * d * qy - 6 * d * qx - 36 * d * d;
    const byy = 18 * q - 12 * d * qy + 54 * d * d;
    const xy = aSecond * b + aPrime * by + aPrime * bx + a * bxy;
    h[0] = aSecond * b + 2 * aPrime * bx + a * bxx;
    h[1] = xy;
    h[2] = xy;
    h[3] = aSecond * b + 2 * aPrime * by + a * byy;
  }
}

export const goldsteinPrice: BuiltinDefinition = {
  name: 'goldstein_price',
  title: 'Goldstein–Price',
  latex:
    'f(x, y) = \\left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\\right]' +
    '\\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\\right]',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  defaultStart: () => Float64Array.of(-0.5, 0.5),
  minimizers: () => [[0, -1]],
  minimum: () => 3,
  box: { x: [-2, 2], y: [-2, 2] },
  create(dim) {
    assertDim('goldstein_price', dim, 2, false);
    return new GoldsteinPrice();
  },
};
