import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateDenseWasm, WASM_TS_PATH } from '../../../scripts/build-wasm.ts';
import { createDenseKernels } from '../../../src/core/objectives/models/dense.ts';
import { Network } from '../../../src/core/objectives/models/network.ts';
import type { Activation, LossHead } from '../../../src/core/objectives/models/spec.ts';
import { tanhInPlace } from '../../../src/core/objectives/models/tanh.ts';
import { Rng } from '../../../src/core/random.ts';
import { randomVector } from './helpers.ts';

/**
 * The dense kernels (src/core/objectives/models/dense.ts): the WebAssembly SIMD module and its
 * JavaScript twins give the same numbers bit for bit, both are the products they claim to be, and
 * the tanh of the networks is within a few ulp of Math.tanh.
 */

/** Both workspaces filled with the same seeded numbers. */
function pair(size: number, seed: number) {
  const wasm = createDenseKernels(size);
  const twin = createDenseKernels(size, false);
  expect(wasm.simd).toBe(true);
  expect(twin.simd).toBe(false);
  const rng = Rng.fromSeed(seed);
  for (let i = 0; i < size; i++) wasm.data[i] = twin.data[i] = rng.normal() * 3;
  return { wasm, twin };
}

function bits(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');
}

describe('dense-wasm.ts', () => {
  it('is what `npm run wasm` assembles from dense.wat (run it and commit the file when this fails)', async () => {
    expect(readFileSync(WASM_TS_PATH, 'utf8')).toBe(await generateDenseWasm());
  });
});

describe('multiply: C = base + P·Q', () => {
  const shape = fc.record({
    m: fc.integer({ min: 1, max: 9 }),
    n: fc.integer({ min: 1, max: 19 }),
    k: fc.integer({ min: 1, max: 11 }),
    transposed: fc.boolean(),
    mode: fc.constantFrom('accumulate', 'bias', 'ones'),
    seed: fc.integer({ min: 0, max: 1000 }),
  });

  it('WebAssembly and the JavaScript twin agree bit for bit, on every shape, stride and base', () => {
    fc.assert(
      fc.property(shape, ({ m, n, k, transposed, mode, seed }) => {
        // layout: P (m·k), Q (k·n), C (m·n), bias (n), one
        const P = 0;
        const Q = m * k;
        const C = Q + k * n;
        const B = C + m * n;
        const one = B + n;
        const { wasm, twin } = pair(one + 1, seed);
        wasm.data[one] = twin.data[one] = 1;
        const [p, pRow, pCol] = mode === 'ones' ? [one, 0, 0] : transposed ? [P, 1, m] : [P, k, 1];
        const bias = mode === 'bias' ? B : -1;
        for (const kernels of [wasm, twin]) kernels.multiply(m, n, k, p, pRow, pCol, Q, C, bias);
        expect(bits(wasm.data)).toBe(bits(twin.data));
      }),
      { numRuns: 300 },
    );
  });

  it('is the product: each entry within rounding of the sum computed here in another order', () => {
    fc.assert(
      fc.property(shape, ({ m, n, k, transposed, mode, seed }) => {
        const size = m * k + k * n + m * n + n + 1;
        const { wasm } = pair(size, seed);
        const data = wasm.data;
        const Q = m * k;
        const C = Q + k * n;
        const B = C + m * n;
        const one = B + n;
        data[one] = 1;
        const before = Float64Array.from(data);
        const P = (a: number, t: number) =>
          mode === 'ones' ? 1 : transposed ? before[t * m + a] : before[a * k + t];
        const [p, pRow, pCol] = mode === 'ones' ? [one, 0, 0] : transposed ? [0, 1, m] : [0, k, 1];
        wasm.multiply(m, n, k, p, pRow, pCol, Q, C, mode === 'bias' ? B : -1);
        for (let a = 0; a < m; a++) {
          for (let b = 0; b < n; b++) {
            let sum = mode === 'bias' ? before[B + b] : before[C + a * n + b];
            let magnitude = Math.abs(sum);
            for (let t = k - 1; t >= 0; t--) {
              sum += P(a, t) * before[Q + t * n + b];
              magnitude += Math.abs(P(a, t) * before[Q + t * n + b]);
            }
            expect(Math.abs(data[C + a * n + b] - sum)).toBeLessThanOrEqual(
              4 * (k + 1) * 2.2e-16 * magnitude,
            );
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('activations and their derivatives', () => {
  it('relu and tanh: WebAssembly and the twin agree, NaN and both zeros included, odd lengths too', () => {
    for (const n of [1, 2, 7, 64]) {
      const { wasm, twin } = pair(3 * n, n);
      const special = [
        Number.NaN,
        -0,
        0,
        -1e-300,
        1e-300,
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      ];
      special.forEach((value, j) => {
        if (j < n) wasm.data[j] = twin.data[j] = value;
      });
      for (const kernels of [wasm, twin]) {
        kernels.relu(0, n);
        kernels.reluDerivative(n, 2 * n, n);
      }
      expect(Array.from(wasm.data)).toEqual(Array.from(twin.data));
      for (const kernels of [wasm, twin]) {
        kernels.tanh(0, n);
        kernels.tanhDerivative(n, 0, n);
      }
      // the same values, zeros by sign (Object.is); a NaN's bits are the engine's choice
      expect(Array.from(wasm.data)).toEqual(Array.from(twin.data));
      for (let j = 0; j < n; j++) {
        const a = twin.data[j];
        expect(Number.isNaN(a) || a >= 0).toBe(true);
      }
    }
  });
});

describe('networks with and without WebAssembly SIMD', () => {
  it.each([
    ['tanh', 'softmax_cross_entropy'],
    ['relu', 'softmax_cross_entropy'],
    ['tanh', 'mse'],
    ['relu', 'binary_cross_entropy'],
  ] as [Activation, LossHead][])(
    '%s with %s: the same loss, gradient and correct count, bit for bit',
    (activation, head) => {
      const outputs = head === 'softmax_cross_entropy' ? 3 : 1;
      const sizes = [5, 7, 6, outputs];
      const simd = new Network(sizes, activation, head);
      const twin = new Network(sizes, activation, head, false);
      expect([simd.simd, twin.simd]).toEqual([true, false]);
      const rows = 150; // more than two chunks, the last one short
      const X = randomVector(1, rows * 5);
      const rng = Rng.fromSeed(2);
      const y = Float64Array.from({ length: rows }, () =>
        head === 'mse'
          ? rng.normal()
          : Math.floor(rng.uniform() * (head === 'softmax_cross_entropy' ? 3 : 2)),
      );
      const x = randomVector(3, simd.dim, 0.7);
      const g1 = new Float64Array(simd.dim);
      const g2 = new Float64Array(simd.dim);
      expect(simd.meanLoss(X, y, rows, x, g1, true)).toBe(twin.meanLoss(X, y, rows, x, g2, true));
      expect(bits(g1)).toBe(bits(g2));
      expect(simd.correct).toBe(twin.correct);
    },
  );
});

describe('tanh', () => {
  const ulp = (value: number) => {
    const exponent = Math.floor(Math.log2(Math.abs(value)));
    return 2 ** (exponent - 52);
  };

  it('is within 2 ulp of Math.tanh (itself within 1 ulp) on a dense grid and at random points', () => {
    const points: number[] = [];
    for (let x = -30; x <= 30; x += 1 / 1024) points.push(x);
    const rng = Rng.fromSeed(4);
    for (let j = 0; j < 100_000; j++) points.push(rng.normal() * 10 ** (rng.uniform() * 6 - 4));
    const values = Float64Array.from(points);
    const kernels = createDenseKernels(values.length);
    kernels.data.set(values);
    kernels.tanh(0, values.length);
    tanhInPlace(values, 0, values.length);
    // the WebAssembly tanh is tanh.ts's, bit for bit
    expect(bits(kernels.data)).toBe(bits(values));
    let worst = 0;
    points.forEach((x, j) => {
      const exact = Math.tanh(x);
      if (exact === 0) expect(values[j]).toBe(0);
      else worst = Math.max(worst, Math.abs(values[j] - exact) / ulp(exact));
    });
    console.log(`tanh: worst difference from Math.tanh ${worst.toFixed(2)} ulp over ${points.length} points`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('is odd, saturates at ±1 and keeps NaN', () => {
    const values = Float64Array.from([0.3, -0.3, 3, -3, 22.5, -1e308, Number.POSITIVE_INFINITY, Number.NaN]);
    tanhInPlace(values, 0, values.length);
    expect(values[1]).toBe(-values[0]);
    expect(values[3]).toBe(-values[2]);
    expect(Array.from(values.subarray(4, 7))).toEqual([1, -1, 1]);
    expect(values[7]).toBeNaN();
  });
});
