import { tanhInPlace } from './tanh.ts';
import { DENSE_WASM_BASE64 } from './wasm/dense-wasm.ts';

/**
 * The dense kernels of the networks. One product, C = base + P·Q with P read through strides,
 * serves the forward pass (Z = b + A·Wᵀ, with Wᵀ copied once per evaluation), both products of
 * the backward pass (∇W += δᵀ·A reading δ transposed through its strides, δ·W reading W in place)
 * and the bias gradient (∇b += 1·δ, P a constant one with strides 0). Every operand lives in one
 * workspace, a Float64Array addressed by offsets: no views are made and nothing is allocated per
 * call.
 *
 * The kernels, and the activations relu and tanh with their derivatives, run in WebAssembly with
 * 128-bit SIMD (wasm/dense.wat, assembled by `npm run wasm`): two float64 lanes per instruction,
 * no bounds checks, no branches in relu. A 64×64×64 product runs at 10.5 GMAC/s against 2.35 for
 * the blocked scalar JavaScript loop it replaced, and the MLP bench (bench/models.ts: 20-64-64-10,
 * batch 64, Adam) went from 0.46 (relu) and 0.44 (tanh) of PyTorch's float64 samples/s on one
 * thread to 1.30–1.56 and 1.35–1.43 (four runs; PyTorch timed in the same runs, interleaved, on
 * the shared two-core development machine).
 *
 * Where WebAssembly SIMD is not available, the JavaScript twins below compute the same numbers bit
 * for bit (a NaN's bits aside): each entry of a product is one sum in order of t, starting from 0,
 * then added to its base, multiplies and adds kept separate (WebAssembly has no fused multiply-add
 * without relaxed SIMD); relu is max(a, 0); tanh is tanh.ts's formulas in the same order of
 * operations. So a run gives the same result on every machine, with or without SIMD
 * (test/core/models/dense-kernels.test.ts).
 */

/** The workspace and the kernels on it (offsets count float64s). */
export interface DenseKernels {
  /** Every operand of the kernels: the caller's regions at offsets it chooses. */
  readonly data: Float64Array;
  /** Whether the kernels run in WebAssembly SIMD (false: the JavaScript twins). */
  readonly simd: boolean;
  /**
   * C (m×n at c, row-major) = base + P·Q: C[a][b] = base[a][b] + Σₜ P(a, t)·Q[t][b], with Q
   * (k×n at q, row-major) and P(a, t) = data[p + a·pRow + t·pCol]; base[a][b] = C[a][b] when
   * `bias` < 0, else data[bias + b] (a row vector for every row).
   */
  multiply(
    m: number,
    n: number,
    k: number,
    p: number,
    pRow: number,
    pCol: number,
    q: number,
    c: number,
    bias: number,
  ): void;
  /** a ← max(a, 0) over data[from, from + n). */
  relu(from: number, n: number): void;
  /** δ ← a > 0 ? δ : 0 over n entries from `delta`, with the activations a at `a`. */
  reluDerivative(delta: number, a: number, n: number): void;
  /** a ← tanh(a) over data[from, from + n) (tanh.ts's formulas). */
  tanh(from: number, n: number): void;
  /** δ ← δ·(1 − a·a) over n entries from `delta`, with the activations a at `a`. */
  tanhDerivative(delta: number, a: number, n: number): void;
}

type DenseExports = Pick<DenseKernels, 'multiply' | 'relu' | 'reluDerivative' | 'tanhDerivative'> & {
  memory: WebAssembly.Memory;
  /** Pairs only: n even. */
  tanh(from: number, n: number): void;
};

const PAGE_BYTES = 65536;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, once per process; null where WebAssembly or its SIMD is missing. */
function denseModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const binary = atob(DENSE_WASM_BASE64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    compiled = typeof WebAssembly === 'object' ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * A workspace of `doubles` float64s and the kernels on it: in its own WebAssembly memory (one
 * instance per network, grown once here, so views into it never move), or a plain Float64Array
 * with the JavaScript twins when `simd` is false or WebAssembly SIMD is unavailable.
 */
export function createDenseKernels(doubles: number, simd = true): DenseKernels {
  const module = simd ? denseModule() : null;
  if (module === null) {
    const data = new Float64Array(doubles);
    return {
      data,
      simd: false,
      multiply: (m, n, k, p, pRow, pCol, q, c, bias) =>
        multiplyTwin(data, m, n, k, p, pRow, pCol, q, c, bias),
      relu: (from, n) => reluTwin(data, from, n),
      reluDerivative: (delta, a, n) => reluDerivativeTwin(data, delta, a, n),
      tanh: (from, n) => tanhInPlace(data, from, from + n),
      tanhDerivative: (delta, a, n) => tanhDerivativeTwin(data, delta, a, n),
    };
  }
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as DenseExports;
  const pages = Math.ceil((doubles * 8) / PAGE_BYTES) - exports.memory.buffer.byteLength / PAGE_BYTES;
  if (pages > 0) exports.memory.grow(pages);
  const data = new Float64Array(exports.memory.buffer, 0, doubles);
  return {
    data,
    simd: true,
    multiply: exports.multiply,
    relu: exports.relu,
    reluDerivative: exports.reluDerivative,
    tanh: (from, n) => {
      const pairs = n & ~1;
      exports.tanh(from, pairs);
      if (pairs < n) tanhInPlace(data, from + pairs, from + n);
    },
    tanhDerivative: exports.tanhDerivative,
  };
}

/** The JavaScript twin of `multiply` (the WebAssembly blocking changes its speed, not its arithmetic). */
export function multiplyTwin(
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  p: number,
  pRow: number,
  pCol: number,
  q: number,
  c: number,
  bias: number,
): void {
  for (let a = 0; a < m; a++) {
    const pa = p + a * pRow;
    for (let b = 0; b < n; b++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += data[pa + t * pCol] * data[q + t * n + b];
      const at = c + a * n + b;
      data[at] = (bias < 0 ? data[at] : data[bias + b]) + sum;
    }
  }
}

/** The JavaScript twin of `relu`: WebAssembly's max(a, 0) (NaN stays NaN, −0 becomes +0). */
export function reluTwin(data: Float64Array, from: number, n: number): void {
  for (let i = from; i < from + n; i++) {
    const a = data[i];
    data[i] = a > 0 || Number.isNaN(a) ? a : 0;
  }
}

/** The JavaScript twin of `tanhDerivative` (the twin of `tanh` is tanhInPlace itself). */
export function tanhDerivativeTwin(data: Float64Array, delta: number, a: number, n: number): void {
  for (let i = 0; i < n; i++) data[delta + i] *= 1 - data[a + i] * data[a + i];
}

/** The JavaScript twin of `reluDerivative`. */
export function reluDerivativeTwin(data: Float64Array, delta: number, a: number, n: number): void {
  for (let i = 0; i < n; i++) if (!(data[a + i] > 0)) data[delta + i] = 0;
}

/** out (cols×rows, at outOffset) = Aᵀ for A (rows×cols, at aOffset), both in `data`. */
export function transpose(
  data: Float64Array,
  rows: number,
  cols: number,
  aOffset: number,
  outOffset: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = aOffset + r * cols;
    for (let c = 0; c < cols; c++) data[outOffset + c * rows + r] = data[row + c];
  }
}
