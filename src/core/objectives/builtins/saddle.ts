import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Saddle (2-D): f(x, y) = x² − y²,  ∇f = (2x, −2y),  ∇²f = [[2, 0], [0, −2]].
 * A non-degenerate saddle at 0; unbounded below, so no minimiser.
 */
class Saddle implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    return x[0] * x[0] - x[1] * x[1];
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    g[0] = 2 * x0;
    g[1] = -2 * y;
    return x0 * x0 - y * y;
  }

  hessian(_x: Float64Array, h: Float64Array): void {
    h[0] = 2;
    h[1] = 0;
    h[2] = 0;
    h[3] = -2;
  }
}

export const saddle: BuiltinDefinition = {
  name: 'saddle',
  title: 'Saddle',
  latex: 'f(x, y) = x^2 - y^2',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  // Almost on the stable manifold y = 0: gradient descent slows down near the saddle, then escapes.
  defaultStart: () => Float64Array.of(1, 0.01),
  minimizers: () => null,
  minimum: () => null,
  box: { x: [-2, 2], y: [-2, 2] },
  create(dim) {
    assertDim('saddle', dim, 2, false);
    return new Saddle();
  },
};
