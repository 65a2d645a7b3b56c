import type { Objective } from '../../types.ts';
import { assertDim, type BuiltinDefinition } from './definition.ts';

/**
 * Monkey saddle (2-D): f(x, y) = x³ − 3xy²,  ∇f = (3x² − 3y², −6xy),
 * ∇²f = [[6x, −6y], [−6y, −6x]]. A degenerate saddle at 0 (the Hessian vanishes there);
 * unbounded below, so no minimiser.
 */
class MonkeySaddle implements Objective {
  readonly dim = 2;

  value(x: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    return x0 * x0 * x0 - 3 * x0 * y * y;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    const x0 = x[0];
    const y = x[1];
    g[0] = 3 * x0 * x0 - 3 * y * y;
    g[1] = -6 * x0 * y;
    return x0 * x0 * x0 - 3 * x0 * y * y;
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const x0 = x[0];
    const y = x[1];
    h[0] = 6 * x0;
    h[1] = -6 * y;
    h[2] = -6 * y;
    h[3] = -6 * x0;
  }
}

export const monkeySaddle: BuiltinDefinition = {
  name: 'monkey_saddle',
  title: 'Monkey saddle',
  latex: 'f(x, y) = x^3 - 3 x y^2',
  anyDim: false,
  minDim: 2,
  defaultDim: 2,
  params: {},
  defaultStart: () => Float64Array.of(1, 0.1),
  minimizers: () => null,
  minimum: () => null,
  box: { x: [-2, 2], y: [-2, 2] },
  create(dim) {
    assertDim('monkey_saddle', dim, 2, false);
    return new MonkeySaddle();
  },
};
