import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { saturationStep } from '../../../src/core/optimizers/adam.ts';

/**
 * Adam skips Math.pow for its bias corrections from the step where 1 − βᵗ is exactly 1. That is
 * only sound if, from that step on, computing 1 − βᵗ gives exactly 1, and the step is the first
 * such (so earlier steps still compute the power).
 */
function checkSaturation(beta: number): void {
  const t = saturationStep(beta);
  if (t > 1) expect(1 - beta ** (t - 1)).toBeLessThan(1);
  for (let k = t; k < t + 2000; k++) expect(1 - beta ** k).toBe(1);
  for (let k = t; k < 1e9; k = Math.ceil(k * 1.7)) expect(1 - beta ** k).toBe(1);
}

describe('Adam bias-correction saturation step', () => {
  it('is the first t with 1 − βᵗ === 1 for the usual betas, and 1 − βᵗ stays 1 after it', () => {
    expect(saturationStep(0)).toBe(1);
    // ⌈ln 2⁻⁵⁴ / ln β⌉: 355.26 → 356 and 37,411.2 → 37,412
    expect(saturationStep(0.9)).toBe(356);
    expect(saturationStep(0.999)).toBe(37_412);
    for (const beta of [0, 1e-300, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999]) checkSaturation(beta);
  });

  it('holds for arbitrary β in [0, 0.9999]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.9999, noNaN: true }), (beta) => checkSaturation(beta)),
      { numRuns: 200 },
    );
  });
});
