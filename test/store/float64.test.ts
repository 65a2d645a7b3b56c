import { describe, expect, it } from 'vitest';
import { float64Bytes, float64FromBytes } from '../../src/store/float64.ts';

describe('the float64 codec', () => {
  const values = Float64Array.of(
    0,
    -0,
    1.5,
    -2.25e-308,
    5e-324,
    Number.MAX_VALUE,
    Number.NaN,
    -Infinity,
    Math.PI,
  );

  it('writes little-endian IEEE 754 doubles, 8 bytes each', () => {
    const bytes = float64Bytes(values);
    expect(bytes.length).toBe(values.length * 8);
    for (let k = 0; k < values.length; k++)
      expect(Object.is(bytes.readDoubleLE(k * 8), values[k])).toBe(true);
  });

  it('reads back every value bit for bit, also from a buffer at an odd offset', () => {
    const unaligned = Buffer.concat([Buffer.from([7]), float64Bytes(values)]).subarray(1);
    expect(unaligned.byteOffset % 8).not.toBe(0);
    const decoded = float64FromBytes(unaligned);
    expect(decoded).toHaveLength(values.length);
    for (let k = 0; k < values.length; k++) expect(Object.is(decoded[k], values[k]), String(k)).toBe(true);
  });
});
