import { describe, expect, it } from 'vitest';
import { Run } from '../../src/core/run.ts';
import { nonFiniteStartValue } from '../../src/core/start-value.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';
import { spec } from './spec-helpers.ts';

const sgd = { name: 'sgd' } as const;

function refusal(input: Record<string, unknown>) {
  const normalized = normalizeJobSpec({ seed: 7, ...input });
  expect(normalized.ok).toBe(false);
  if (normalized.ok) throw new Error('accepted');
  expect(normalized.errors).toHaveLength(1);
  return normalized.errors[0];
}

describe('a spec whose f is not finite at the start is refused at normalisation', () => {
  it('log(x) at the default start 0 (it ran and ended diverged at iteration 0 with f: null)', () => {
    const error = refusal({ objective: { type: 'expression', expression: 'log(x)' }, optimizer: sgd });
    expect(error.path).toBe('start');
    expect(error.message).toBe(
      'f is not finite at the default start x₀ = (0) (f(x₀) = -Infinity), so the run could not take a step: give a start where f is defined with start.x0',
    );
  });

  it('a given start.x0 outside the domain names start.x0', () => {
    const error = refusal({
      objective: { type: 'expression', expression: 'sqrt(x) + y' },
      optimizer: sgd,
      start: { x0: [-1, 2] },
    });
    expect(error.path).toBe('start.x0');
    expect(error.message).toMatch(
      /^f is not finite at start\.x0 \(f\(x₀\) = NaN\).*choose a start\.x0 where f is defined$/,
    );
  });

  it('a random start names its seed; a builtin that overflows at x0 is refused too', () => {
    // log(x) at a normal draw: refused for a seed whose draw is negative, accepted for one whose is positive
    const outcomes = [1, 2, 3, 4, 5, 6].map((seed) =>
      normalizeJobSpec({
        objective: { type: 'expression', expression: 'log(x)' },
        optimizer: sgd,
        start: { random: { distribution: 'normal' } },
        seed,
      }),
    );
    const refused = outcomes.find((outcome) => !outcome.ok);
    expect(outcomes.some((outcome) => outcome.ok)).toBe(true);
    expect(refused && !refused.ok && refused.errors[0].message).toMatch(
      /at the random start drawn with seed \d \(f\(x₀\) = NaN\)/,
    );
    const overflow = refusal({
      objective: { type: 'builtin', name: 'sphere' },
      optimizer: sgd,
      start: { x0: [1e200, 1] },
    });
    expect(overflow).toMatchObject({ path: 'start.x0' });
    expect(overflow.message).toContain('f(x₀) = Infinity');
  });

  it('the rotated quadratic: finite under the bound ½κ‖x‖², built and evaluated past it', () => {
    const base = spec({
      objective: {
        type: 'builtin',
        name: 'quadratic',
        dim: 2,
        params: { rotate: true, conditionNumber: 10 },
      },
      optimizer: sgd,
    });
    expect(nonFiniteStartValue({ ...base, start: { x0: [3, -4] } })).toBeNull();
    // ½κ‖x‖² overflows here, so Q is built and f evaluated: ½ Σ λ (Qx)² ≥ ½‖x‖² is ∞ as well
    expect(nonFiniteStartValue({ ...base, start: { x0: [1e154, 1e154] } })).toBe(Number.POSITIVE_INFINITY);
    // and a spec there is refused
    const error = refusal({
      objective: { type: 'builtin', name: 'quadratic', dim: 2, params: { rotate: true } },
      optimizer: sgd,
      start: { x0: [1e200, 0] },
    });
    expect(error.path).toBe('start.x0');
  });

  it('agrees with the f the run computes at x₀ (compiled code), also where simplification matters (x/x at 0)', () => {
    for (const expression of [
      'x/x + y',
      'log(x*x) + y',
      'x^0.5 + y',
      '1/(x - y)',
      'exp(1000*x) - y',
      '0*log(x) + y',
    ]) {
      for (const x0 of [
        [0, 0],
        [1, 0],
        [-1, 2],
      ]) {
        const normalized = normalizeJobSpec(
          { objective: { type: 'expression', expression }, optimizer: sgd, start: { x0 }, seed: 1 },
          { checkStartValue: false },
        );
        if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
        const atStart = normalized.spec;
        const compiled = new Run(atStart).progress().f;
        const checked = nonFiniteStartValue(atStart);
        expect(checked === null, `${expression} at (${x0})`).toBe(Number.isFinite(compiled));
        if (checked !== null) expect(Object.is(checked, compiled)).toBe(true);
      }
    }
  });

  it('POST /v1/evaluate keeps answering f: null there (checkStartValue: false)', () => {
    const normalized = normalizeJobSpec(
      {
        objective: { type: 'expression', expression: 'log(x)' },
        optimizer: sgd,
        start: { x0: [0] },
        seed: 0,
      },
      { checkStartValue: false },
    );
    expect(normalized.ok).toBe(true);
  });
});
