import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../src/core/optimizers/index.ts';
import type { PlainState } from '../../../src/core/types.ts';
import { type OptimizerInput, optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { cloneThroughJson, contextAt, rosenbrock, stepInPlace } from './test-objectives.ts';

const specs: { spec: OptimizerInput; lr: number }[] = [
  { spec: { name: 'sgd' }, lr: 1e-3 },
  { spec: { name: 'momentum' }, lr: 1e-3 },
  { spec: { name: 'momentum', nesterov: true }, lr: 1e-3 },
  { spec: { name: 'adagrad' }, lr: 0.1 },
  { spec: { name: 'rmsprop' }, lr: 0.01 },
  { spec: { name: 'adam' }, lr: 0.05 },
  { spec: { name: 'adam', amsgrad: true }, lr: 0.05 },
  { spec: { name: 'adamw', weightDecay: 0.1 }, lr: 0.05 },
  { spec: { name: 'newton' }, lr: 1 },
  { spec: { name: 'newton', hessian: 'saddle_free' }, lr: 1 },
  { spec: { name: 'lbfgs', history: 3 }, lr: 1 },
  { spec: { name: 'lbfgs', lineSearch: 'none' }, lr: 0.01 },
];

/** Takes steps t = from … to − 1 in place, returning every iterate. */
function advance(
  spec: OptimizerInput,
  x: Float64Array,
  state: PlainState,
  lr: number,
  from: number,
  to: number,
): number[][] {
  // a fresh optimizer each time, as a resumed worker would build: nothing may live in closures
  const optimizer = createOptimizer(optimizerSchema.parse(spec));
  const g = new Float64Array(x.length);
  const points: number[][] = [];
  for (let t = from; t < to; t++) {
    const f = rosenbrock.valueAndGradient(x, g);
    stepInPlace(optimizer, x, g, lr, state, t, contextAt(rosenbrock, f));
    points.push([...x]);
  }
  return points;
}

describe('optimizer state is plain data that checkpoints', () => {
  it.each(specs.map((row) => [JSON.stringify(row.spec), row] as const))(
    '%s: a run resumed from a JSON copy of its state continues bit for bit',
    (_label, { spec, lr }) => {
      const optimizer = createOptimizer(optimizerSchema.parse(spec));
      const x = new Float64Array([-1.2, 1]);
      const state = optimizer.init(2);
      advance(spec, x, state, lr, 1, 8);

      const resumedX = Float64Array.from(x);
      const resumedState = cloneThroughJson(state);
      const original = advance(spec, x, state, lr, 8, 16);
      const resumed = advance(spec, resumedX, resumedState, lr, 8, 16);
      expect(resumed).toEqual(original);
      for (let k = 0; k < original.length; k++) {
        for (let i = 0; i < 2; i++) expect(Object.is(resumed[k][i], original[k][i])).toBe(true);
      }
      expect(original.at(-1)).not.toEqual([-1.2, 1]);
    },
  );

  it('an uninterrupted run equals a run cut in two at any step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 14 }), fc.constantFrom(...specs), (cut, { spec, lr }) => {
        const whole = Float64Array.from([-1.2, 1]);
        const wholeState = createOptimizer(optimizerSchema.parse(spec)).init(2);
        const expected = advance(spec, whole, wholeState, lr, 1, 16);

        const x = Float64Array.from([-1.2, 1]);
        const state = createOptimizer(optimizerSchema.parse(spec)).init(2);
        const first = advance(spec, x, state, lr, 1, cut + 1);
        const second = advance(spec, x, cloneThroughJson(state), lr, cut + 1, 16);
        expect([...first, ...second]).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
