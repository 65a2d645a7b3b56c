import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipGradient } from '../../../src/core/optimizers/clip.ts';

const norm = (g: Float64Array) => Math.sqrt(g.reduce((sum, value) => sum + value * value, 0));

describe('clipGradient', () => {
  it('rescales a longer gradient to norm clipNorm and returns the new norm', () => {
    const g = new Float64Array([3, 4]);
    expect(clipGradient(g, 1, 5)).toBe(1);
    expect(g[0]).toBeCloseTo(0.6, 15);
    expect(g[1]).toBeCloseTo(0.8, 15);
  });

  it('leaves a gradient no longer than clipNorm untouched', () => {
    const g = new Float64Array([3, 4]);
    expect(clipGradient(g, 5, 5)).toBe(5);
    expect([...g]).toEqual([3, 4]);
  });

  it('leaves a non-finite gradient for the run loop to report', () => {
    const g = new Float64Array([Number.NaN, 1]);
    expect(clipGradient(g, 1, Number.NaN)).toBeNaN();
    expect(g[1]).toBe(1);
  });

  it('keeps the direction and caps the norm', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (values, clipNorm) => {
          const g = Float64Array.from(values);
          const before = norm(g);
          const original = Float64Array.from(g);
          clipGradient(g, clipNorm, before);
          const expectedNorm = Math.min(before, clipNorm);
          expect(Math.abs(norm(g) - expectedNorm)).toBeLessThanOrEqual(1e-12 * Math.max(1, expectedNorm));
          const scale = before > clipNorm ? clipNorm / before : 1;
          for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(original[i] * scale, 9);
        },
      ),
    );
  });
});
