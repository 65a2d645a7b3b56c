import { describe, expect, it, vi } from 'vitest';
import * as differentiate from '../../../../src/core/objectives/expression/differentiate.ts';
import { createExpressionObjective } from '../../../../src/core/objectives/expression/index.ts';
import { runToCompletion } from '../../../../src/core/run.ts';
import { spec } from '../../spec-helpers.ts';

// Counts symbolic Hessian constructions while keeping the real one.
vi.mock('../../../../src/core/objectives/expression/differentiate.ts', async (importOriginal) => {
  const original = await importOriginal<typeof differentiate>();
  return { ...original, hessianNodes: vi.fn(original.hessianNodes) };
});
const hessianNodes = vi.mocked(differentiate.hessianNodes);

/** A long expression over 12 variables (≈ 4,000 characters). */
const LONG = Array.from(
  { length: 120 },
  (_, k) => `sin(x${k % 12}*x${(k * 5 + 1) % 12}+${k % 9})*exp(x${(k * 7 + 2) % 12}/${(k % 5) + 1})`,
).join('+');

describe('the expression Hessian is built on first use only', () => {
  it('creating the objective and evaluating f and ∇f build none', () => {
    hessianNodes.mockClear();
    const objective = createExpressionObjective({ expression: LONG });
    const g = new Float64Array(objective.dim);
    expect(Number.isFinite(objective.valueAndGradient(new Float64Array(objective.dim).fill(0.1), g))).toBe(
      true,
    );
    expect(hessianNodes).not.toHaveBeenCalled();
    // asking for it builds it, once
    const h = new Float64Array(objective.dim ** 2);
    objective.hessian!(new Float64Array(objective.dim).fill(0.1), h);
    objective.hessian!(new Float64Array(objective.dim).fill(0.2), h);
    expect(objective.source.hessian).not.toBeNull();
    expect(hessianNodes).toHaveBeenCalledTimes(1);
  });

  it('a first-order run builds it once, for its final diagnostics only', () => {
    hessianNodes.mockClear();
    const { result } = runToCompletion(
      spec({
        objective: { type: 'expression', expression: LONG },
        optimizer: { name: 'adam' },
        stop: { maxIterations: 5 },
      }),
    );
    expect(result.iterations).toBe(5);
    // The final diagnostics need the Hessian: built once, at the end.
    expect(hessianNodes).toHaveBeenCalledTimes(1);
  });

  it('newton builds it once for the whole run', () => {
    hessianNodes.mockClear();
    const { result } = runToCompletion(
      spec({
        objective: { type: 'expression', expression: '(1-x)^2 + 100*(y-x^2)^2' },
        optimizer: { name: 'newton' },
      }),
    );
    expect(result.evaluations.hessian).toBeGreaterThan(5);
    expect(hessianNodes).toHaveBeenCalledTimes(1);
  });
});
