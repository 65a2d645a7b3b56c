import { beforeEach, expect, it } from 'vitest';
import { type GpuArray, NnKernels } from '../../../src/core/backends/webgpu/nn-kernels.ts';
import { correctPredictions, headLoss } from '../../../src/core/objectives/models/loss-heads.ts';
import { describeGpu, maxRelativeError, uniforms, useTestDevice } from './gpu-device.ts';

/**
 * The dense-network kernels against float64 references computed here from the same float32
 * inputs (the CPU models arrive separately; these are the formulas they implement). Sums are
 * compared relative to the sum of their terms' magnitudes.
 */

/** A k-term float32 dot product errs by about √k·2⁻²⁴ of Σ|aᵢbᵢ| (k·2⁻²⁴ at worst). */
const TOLERANCE = 4e-6;

/** Row-major m×n product of op(A) (m×k) and op(B) (k×n), and Σ|terms| per element. */
function referenceMatmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
): { c: Float64Array; magnitude: Float64Array } {
  const c = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let q = 0; q < k; q++) {
        const term = (transposeA ? a[q * m + i] : a[i * k + q]) * (transposeB ? b[j * k + q] : b[q * n + j]);
        sum += term;
        abs += Math.abs(term);
      }
      c[i * n + j] = sum;
      magnitude[i * n + j] = abs;
    }
  }
  return { c, magnitude };
}

describeGpu('dense-network kernels (WebGPU) against float64 references', () => {
  const gpu = useTestDevice();
  let nn: NnKernels;
  beforeEach(() => {
    nn = new NnKernels(gpu.backend.context);
  });

  const read = (array: GpuArray) => nn.read(array);

  for (const [m, n, k] of [
    [37, 29, 53],
    [128, 64, 300],
  ]) {
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
    ]) {
      it(`matmul ${m}×${k}·${k}×${n}, transposeA ${transposeA}, transposeB ${transposeB}, then accumulate`, async () => {
        const a = uniforms(1, m * k, -1, 1);
        const b = uniforms(2, k * n, -1, 1);
        const c0 = uniforms(3, m * n, -1, 1);
        const c = nn.array(m * n);
        nn.run([
          nn.matmul({
            a: nn.array(a.length, a),
            b: nn.array(b.length, b),
            c,
            m,
            n,
            k,
            transposeA,
            transposeB,
          }),
        ]);
        const expected = referenceMatmul(a, b, m, n, k, transposeA, transposeB);
        expect(maxRelativeError(await read(c), expected.c, expected.magnitude)).toBeLessThan(TOLERANCE);

        const accumulated = nn.array(m * n, c0);
        nn.run([
          nn.matmul({
            a: nn.array(a.length, a),
            b: nn.array(b.length, b),
            c: accumulated,
            m,
            n,
            k,
            transposeA,
            transposeB,
            accumulate: true,
          }),
        ]);
        const sum = expected.c.map((value, j) => value + c0[j]);
        const scale = expected.magnitude.map((value, j) => value + Math.abs(c0[j]));
        expect(maxRelativeError(await read(accumulated), sum, scale)).toBeLessThan(TOLERANCE);
      });
    }
  }

  it('addBias, tanh, relu and their derivatives, elementwise', async () => {
    const rows = 300;
    const cols = 7;
    const z = uniforms(4, rows * cols, -30, 30);
    z[0] = 120; // tanh's sinh/cosh form would overflow here
    z[1] = -120;
    z[2] = 0;
    const bias = uniforms(5, cols, -1, 1);
    const upstream = uniforms(6, rows * cols, -2, 2);

    const zWithBias = z.map((value, j) => Math.fround(value + bias[j % cols]));
    const biased = nn.array(z.length, z);
    nn.run([nn.addBias(biased, nn.array(cols, bias))]);
    expect(Array.from(await read(biased))).toEqual(Array.from(zWithBias));

    const tanhOut = nn.array(z.length);
    const reluOut = nn.array(z.length);
    const zDevice = nn.array(z.length, z);
    nn.run([nn.activation('tanh', zDevice, tanhOut), nn.activation('relu', zDevice, reluOut)]);
    const tanh = await read(tanhOut);
    expect(maxRelativeError(tanh, z.map(Math.tanh))).toBeLessThan(1e-6);
    expect([tanh[0], tanh[1], tanh[2]]).toEqual([1, -1, 0]);
    expect(Array.from(await read(reluOut))).toEqual(Array.from(z, (value) => Math.max(value, 0)));

    const tanhGradient = nn.array(z.length, upstream);
    const reluGradient = nn.array(z.length, upstream);
    nn.run([
      nn.activationBackward('tanh', tanhOut, tanhGradient),
      nn.activationBackward('relu', zDevice, reluGradient),
    ]);
    const expectedTanh = upstream.map((d, j) => d * (1 - tanh[j] * tanh[j]));
    expect(
      // 1 − a² is exact to float32's resolution at 1: relative to |dA|.
      maxRelativeError(await read(tanhGradient), expectedTanh, upstream.map(Math.abs)),
    ).toBeLessThan(TOLERANCE);
    expect(Array.from(await read(reluGradient))).toEqual(Array.from(upstream, (d, j) => (z[j] > 0 ? d : 0)));
  });

  it('softmax cross-entropy: per-row loss and the gradient of the mean', async () => {
    const rows = 500;
    const classes = 4;
    const logits = uniforms(7, rows * classes, -8, 8);
    logits[0] = 90; // exp(90) overflows float32: the max shift must keep it finite
    const labels = Float64Array.from({ length: rows }, (_, r) => (r * 7) % classes);
    const loss = nn.array(rows);
    const gradient = nn.array(rows * classes);
    nn.run([
      nn.softmaxCrossEntropy({
        logits: nn.array(logits.length, logits),
        labels: nn.array(rows, labels),
        rows,
        classes,
        loss,
        gradient,
      }),
    ]);
    const expectedLoss = new Float64Array(rows);
    const expectedGradient = new Float64Array(rows * classes);
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * classes, (r + 1) * classes);
      const largest = Math.max(...row);
      const total = row.reduce((sum, z) => sum + Math.exp(z - largest), 0);
      expectedLoss[r] = Math.log(total) - (row[labels[r]] - largest);
      row.forEach((z, c) => {
        expectedGradient[r * classes + c] =
          (Math.exp(z - largest) / total - (c === labels[r] ? 1 : 0)) / rows;
      });
    }
    // A loss near 0 is log(total) with total near 1: exact to float32's resolution at 1, in nats.
    expect(maxRelativeError(await read(loss), expectedLoss, 1)).toBeLessThan(TOLERANCE);
    // Gradient entries are probabilities / rows: exact to float32's resolution of 1/rows.
    expect(maxRelativeError(await read(gradient), expectedGradient, 1 / rows)).toBeLessThan(TOLERANCE);
  });

  it('columnSums, sum and sumOfSquares: two-stage reductions', async () => {
    const rows = 10_001;
    const cols = 5;
    const matrix = uniforms(8, rows * cols, -1, 1);
    const columns = nn.array(cols);
    const totals = nn.array(2);
    const input = nn.array(matrix.length, matrix);
    nn.run([nn.columnSums(input, cols, columns), nn.sum(input, totals, 0), nn.sum(input, totals, 1, true)]);
    const expectedColumns = new Float64Array(cols);
    matrix.forEach((value, j) => {
      expectedColumns[j % cols] += value;
    });
    const absolute = matrix.reduce((sum, value) => sum + Math.abs(value), 0);
    const squares = matrix.reduce((sum, value) => sum + value * value, 0);
    expect(maxRelativeError(await read(columns), expectedColumns, absolute / cols)).toBeLessThan(TOLERANCE);
    const [total, sumOfSquares] = await read(totals);
    expect(Math.abs(total - matrix.reduce((sum, value) => sum + value, 0)) / absolute).toBeLessThan(
      TOLERANCE,
    );
    expect(Math.abs(sumOfSquares - squares) / squares).toBeLessThan(TOLERANCE);
  });

  it('one tanh layer and a softmax head: forward and backward give the float64 gradients', async () => {
    // X (rows × 3) → Z1 = X·W1ᵀ + b1 (rows × 5), A1 = tanh(Z1) → Z2 = A1·W2ᵀ + b2 (rows × 3) → mean CE.
    const rows = 64;
    const [inputs, hidden, classes] = [3, 5, 3];
    const x = uniforms(9, rows * inputs, -2, 2);
    const w1 = uniforms(10, hidden * inputs, -1, 1);
    const b1 = uniforms(11, hidden, -0.5, 0.5);
    const w2 = uniforms(12, classes * hidden, -1, 1);
    const b2 = uniforms(13, classes, -0.5, 0.5);
    const labels = Float64Array.from({ length: rows }, (_, r) => r % classes);

    const [X, W1, B1, W2, B2, Y] = [x, w1, b1, w2, b2, labels].map((values) =>
      nn.array(values.length, values),
    );
    const [Z1, A1, Z2, loss, dZ2, dA1, dW1, dB1, dW2, dB2, total] = [
      rows * hidden,
      rows * hidden,
      rows * classes,
      rows,
      rows * classes,
      rows * hidden,
      hidden * inputs,
      hidden,
      classes * hidden,
      classes,
      1,
    ].map((length) => nn.array(length));
    nn.run([
      nn.matmul({ a: X, b: W1, c: Z1, m: rows, n: hidden, k: inputs, transposeB: true }),
      nn.addBias(Z1, B1),
      nn.activation('tanh', Z1, A1),
      nn.matmul({ a: A1, b: W2, c: Z2, m: rows, n: classes, k: hidden, transposeB: true }),
      nn.addBias(Z2, B2),
      nn.softmaxCrossEntropy({ logits: Z2, labels: Y, rows, classes, loss, gradient: dZ2 }),
      nn.sum(loss, total),
      nn.matmul({ a: dZ2, b: A1, c: dW2, m: classes, n: hidden, k: rows, transposeA: true }),
      nn.columnSums(dZ2, classes, dB2),
      nn.matmul({ a: dZ2, b: W2, c: dA1, m: rows, n: hidden, k: classes }),
      nn.activationBackward('tanh', A1, dA1),
      nn.matmul({ a: dA1, b: X, c: dW1, m: hidden, n: inputs, k: rows, transposeA: true }),
      nn.columnSums(dA1, hidden, dB1),
    ]);

    // float64 reference: the mean loss and its gradient, by central differences on each parameter.
    const meanLoss = (p: { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array }) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        const a1 = Array.from({ length: hidden }, (_, h) => {
          let z = p.b1[h];
          for (let i = 0; i < inputs; i++) z += x[r * inputs + i] * p.w1[h * inputs + i];
          return Math.tanh(z);
        });
        const z2 = Array.from({ length: classes }, (_, c) => {
          let z = p.b2[c];
          for (let h = 0; h < hidden; h++) z += a1[h] * p.w2[c * hidden + h];
          return z;
        });
        const largest = Math.max(...z2);
        sum += Math.log(z2.reduce((s, z) => s + Math.exp(z - largest), 0)) - (z2[labels[r]] - largest);
      }
      return sum / rows;
    };
    const parameters = { w1, b1, w2, b2 };
    const numericGradient = (name: keyof typeof parameters) =>
      parameters[name].map((_, j) => {
        const step = 1e-6;
        const plus = { ...parameters, [name]: parameters[name].slice() };
        const minus = { ...parameters, [name]: parameters[name].slice() };
        plus[name][j] += step;
        minus[name][j] -= step;
        return (meanLoss(plus) - meanLoss(minus)) / (2 * step);
      });

    expect(Math.abs((await read(total))[0] / rows - meanLoss(parameters))).toBeLessThan(1e-5);
    for (const [name, array] of [
      ['w1', dW1],
      ['b1', dB1],
      ['w2', dW2],
      ['b2', dB2],
    ] as const) {
      const expected = numericGradient(name);
      const largest = Math.max(...expected.map(Math.abs));
      expect(maxRelativeError(await read(array), expected, largest), name).toBeLessThan(1e-4);
    }
  });

  it.each(['mse', 'binary_cross_entropy', 'softmax_cross_entropy'] as const)(
    'loss head %s: per-row loss, the gradient of the mean and the correct flags, as the CPU heads (loss-heads.ts)',
    async (head) => {
      const rows = 300;
      const outputs = head === 'softmax_cross_entropy' ? 3 : 1;
      const logits = uniforms(11, rows * outputs, -12, 12);
      logits[0] = 95; // e^95 overflows float32: every head must stay finite
      const labels = Float64Array.from({ length: rows }, (_, r) =>
        head === 'mse' ? Math.fround(Math.sin(r)) : (r * 5) % (head === 'softmax_cross_entropy' ? 3 : 2),
      );
      const loss = nn.array(rows);
      const gradient = nn.array(rows * outputs);
      const correct = nn.array(rows);
      nn.run([
        nn.lossHead({
          head,
          logits: nn.array(logits.length, logits),
          labels: nn.array(rows, labels),
          rows,
          outputs,
          loss,
          gradient,
          correct,
        }),
      ]);
      const expectedLoss = new Float64Array(rows);
      const expectedGradient = new Float64Array(rows * outputs);
      const expectedCorrect = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const z = logits.subarray(r * outputs, (r + 1) * outputs);
        const delta = new Float64Array(outputs);
        expectedLoss[r] = headLoss({ head, outputs }, z, 1, labels, r, delta, 1 / rows);
        expectedGradient.set(delta, r * outputs);
        expectedCorrect[r] = correctPredictions({ head, outputs }, z, 1, labels, r);
      }
      const magnitude = head === 'mse' ? Math.max(...expectedLoss) : 1;
      expect(maxRelativeError(await read(loss), expectedLoss, magnitude)).toBeLessThan(TOLERANCE);
      const gradientScale = head === 'mse' ? Math.max(...expectedGradient.map(Math.abs)) : 1 / rows;
      expect(maxRelativeError(await read(gradient), expectedGradient, gradientScale)).toBeLessThan(TOLERANCE);
      expect(Array.from(await read(correct))).toEqual(Array.from(expectedCorrect));
      if (head !== 'mse') expect(expectedCorrect.reduce((a, b) => a + b, 0)).toBeGreaterThan(rows / 5);
    },
  );

  it('operands at element offsets: matmul reads A and B and writes C there, addBias and columnSums too', async () => {
    const [m, n, k] = [7, 5, 9];
    const [aOffset, bOffset, cOffset] = [3, 11, 4];
    const a = uniforms(21, aOffset + m * k, -1, 1);
    const b = uniforms(22, bOffset + n * k, -1, 1);
    const cBase = uniforms(23, cOffset + m * n + 2, -1, 1);
    const bias = uniforms(24, 6 + n, -1, 1);
    const c = nn.array(cBase.length, cBase);
    const sums = nn.array(10, new Float64Array(10).fill(5));
    nn.run([
      nn.matmul({
        a: nn.array(a.length, a),
        b: nn.array(b.length, b),
        c,
        m,
        n,
        k,
        transposeB: true,
        aOffset,
        bOffset,
        cOffset,
      }),
    ]);
    const product = referenceMatmul(a.subarray(aOffset), b.subarray(bOffset), m, n, k, false, true);
    const afterMatmul = await read(c);
    expect(Array.from(afterMatmul.subarray(0, cOffset))).toEqual(Array.from(cBase.subarray(0, cOffset)));
    expect(Array.from(afterMatmul.subarray(cOffset + m * n))).toEqual(
      Array.from(cBase.subarray(cOffset + m * n)),
    );
    expect(
      maxRelativeError(afterMatmul.subarray(cOffset, cOffset + m * n), product.c, product.magnitude),
    ).toBeLessThan(TOLERANCE);
    // Z (m × n, from offset 0 of a separate array) += bias[6 + col]; column sums of its first 4 rows into sums[3 …].
    const z = nn.array(m * n, product.c);
    nn.run([
      nn.addBias(z, nn.array(bias.length, bias), { offset: 6, cols: n }),
      nn.columnSums({ buffer: z.buffer, length: m * n }, n, sums, { rows: 4, offset: 3 }),
    ]);
    const biased = Float64Array.from(product.c, (value, j) => value + bias[6 + (j % n)]);
    expect(maxRelativeError(await read(z), biased, 1)).toBeLessThan(TOLERANCE);
    const expectedSums = new Float64Array(10).fill(5);
    for (let col = 0; col < n; col++) {
      expectedSums[3 + col] = 0;
      for (let row = 0; row < 4; row++) expectedSums[3 + col] += biased[row * n + col];
    }
    expect(maxRelativeError(await read(sums), expectedSums, 4)).toBeLessThan(TOLERANCE);
  });
});
