import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../src/core/optimizers/index.ts';
import { type OptimizerInput, optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { bowl, contextAt } from './test-objectives.ts';

/**
 * The step contract the run loop's divergence handling relies on: the new iterate goes into
 * `next`, x is left bit for bit as it was (it is the last healthy iterate), and the return value
 * is 0 for a finite new iterate and NaN otherwise.
 */
const specs: OptimizerInput[] = [
  { name: 'sgd' },
  { name: 'momentum' },
  { name: 'momentum', nesterov: true },
  { name: 'adagrad' },
  { name: 'rmsprop' },
  { name: 'adam' },
  { name: 'adam', amsgrad: true },
  { name: 'adamw', weightDecay: 0.1 },
  { name: 'newton' },
  { name: 'newton', hessian: 'damped', lineSearch: 'backtracking' },
  { name: 'lbfgs' },
  { name: 'lbfgs', lineSearch: 'none' },
];

function stepFrom(spec: OptimizerInput, start: number[], lr: number) {
  const optimizer = createOptimizer(optimizerSchema.parse(spec));
  const x = Float64Array.from(start);
  const g = new Float64Array(2);
  const f = bowl.valueAndGradient(x, g);
  const next = new Float64Array(2).fill(-7);
  const context = contextAt(bowl, f);
  const poison = optimizer.step(x, next, g, lr, optimizer.init(2), 1, context);
  return { x: [...x], next: [...next], poison, lineSearchFailed: context.lineSearchFailed };
}

describe('optimizer steps write the new iterate into next and report its finiteness', () => {
  it.each(specs.map((spec) => [JSON.stringify(spec), spec] as const))('%s', (_label, spec) => {
    const finite = stepFrom(spec, [1, 0.5], 0.1);
    expect(finite.x).toEqual([1, 0.5]);
    expect(finite.next.every(Number.isFinite)).toBe(true);
    expect(finite.next).not.toEqual([1, 0.5]);
    expect(Object.is(finite.poison, 0)).toBe(true);

    // a start that overflowed: f, g and the new iterate are not finite; a line search finds no
    // finite point, says so, and writes x itself (the run loop never steps from there: f₀ = ∞
    // ends it `diverged`)
    const overflow = stepFrom(spec, [Number.POSITIVE_INFINITY, 0.5], 0.1);
    expect(overflow.x).toEqual([Number.POSITIVE_INFINITY, 0.5]);
    expect(overflow.next.every(Number.isFinite)).toBe(false);
    expect(overflow.poison).toBeNaN();
    const searches = (spec.name === 'lbfgs' || spec.name === 'newton') && spec.lineSearch !== 'none';
    expect(overflow.lineSearchFailed).toBe(searches);
    if (searches) expect(overflow.next).toEqual(overflow.x);
  });
});
