import type { LossHead } from '../../objectives/models/spec.ts';
import { WORKGROUP_SIZE } from './constants.ts';
import { type BindingKind, type GpuContext, type Kernel, workgroupsFor } from './gpu-context.ts';

/**
 * Dense-network kernels in WGSL, float32, for the models (API.md `mlp`, `softmax_regression`,
 * `logistic_regression` on a device). Parameter layout as the CPU models: per layer W
 * (fan_out × fan_in, row-major) then b; a batch is row-major (rows × features). One layer:
 *
 *   forward   Z = X·Wᵀ + b          matmul(X, W, transposeB) then addBias
 *             A = act(Z)            activation('tanh' | 'relu')
 *   backward  dZ = dA ⊙ act'(·)      activationBackward
 *             dW = dZᵀ·X            matmul(dZ, X, transposeA)
 *             db = Σ_rows dZ        columnSums
 *             dX = dZ·W             matmul(dZ, W)
 *   loss      lossHead (loss-heads.ts's formulas, per row, dZ of the mean over the rows):
 *             mse (z − y)², dZ = 2(z − y)/rows; binary cross-entropy softplus(z) − y·z,
 *             dZ = (σ(z) − y)/rows; softmax cross-entropy −log softmax(z)_y,
 *             dZ = (softmax(z) − onehot(y))/rows; and per row whether the prediction is right
 *             sum / sumOfSquares (two-stage reductions) for the total and for ‖W‖².
 *
 * Operands may sit at an element offset inside a larger array (matmul's a, b and c, addBias's
 * bias, columnSums' out), so a layer reads its W and b from the flat parameter vector and writes
 * ∇W and ∇b into the flat gradient in place (the layout of objectives/models/network.ts).
 *
 * Each op is built once for fixed arrays and shapes (a training loop reuses them every step),
 * holds its bind group and uniform, and is encoded into a compute pass by `encode`, so a
 * forward-backward pass is one command buffer with no host round trip.
 */

/** A float32 array in device memory. */
export interface GpuArray {
  buffer: GPUBuffer;
  length: number;
}

export interface EncodableOp {
  encode(pass: GPUComputePassEncoder): void;
}

const TILE = 16;
const W = WORKGROUP_SIZE;

/**
 * tanh in float32 to a few ulps relative: WGSL's tanh may be computed from sinh/cosh (it overflows
 * to NaN above |x| ≈ 89, and on llvmpipe it errs by 1.7e-5 relative near 0). For |x| < 1 the
 * [7/6] Padé approximant of Lambert's continued fraction,
 *   tanh x ≈ x (135135 + 17325x² + 378x⁴ + x⁶) / (135135 + 62370x² + 3150x⁴ + 28x⁶),
 * beyond it sign(x)(1 − e)/(1 + e) with e = exp(−2|x|) ≤ e⁻², which saturates to ±1.
 */
const TANH = `fn stableTanh(x: f32) -> f32 {
  let s = x * x;
  if (abs(x) < 1.0) {
    return x * (135135.0 + s * (17325.0 + s * (378.0 + s))) / (135135.0 + s * (62370.0 + s * (3150.0 + s * 28.0)));
  }
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}`;

export type Activation = 'tanh' | 'relu';

/** Builds the ops on one device; pipelines are compiled once per variant (GpuContext caches them). */
export class NnKernels {
  constructor(private readonly context: GpuContext) {}

  /** A zero-filled device array, optionally initialised. */
  array(length: number, values?: ArrayLike<number>): GpuArray {
    const buffer = this.context.storage(length * 4, 'array');
    if (values) this.context.writeFloats(buffer, values);
    return { buffer, length };
  }

  read(array: GpuArray): Promise<Float32Array> {
    return this.context.readFloats(array.buffer, 0, array.length);
  }

  /** Encodes `ops` into one compute pass and submits it. */
  run(ops: EncodableOp[]): void {
    const encoder = this.context.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const op of ops) op.encode(pass);
    pass.end();
    this.context.device.queue.submit([encoder.finish()]);
  }

  /**
   * C (m×n) = op(A)·op(B) (+ C when `accumulate`), op(A) m×k, op(B) k×n; A is stored m×k, or k×m
   * with `transposeA`; B is k×n, or n×k with `transposeB`. 16×16 tiles through workgroup memory.
   */
  matmul(options: {
    a: GpuArray;
    b: GpuArray;
    c: GpuArray;
    m: number;
    n: number;
    k: number;
    transposeA?: boolean;
    transposeB?: boolean;
    accumulate?: boolean;
    /** Element offsets of op(A), op(B) and C inside their arrays (0). */
    aOffset?: number;
    bOffset?: number;
    cOffset?: number;
  }): EncodableOp {
    const { a, b, c, m, n, k } = options;
    const transposeA = options.transposeA ?? false;
    const transposeB = options.transposeB ?? false;
    const aOffset = options.aOffset ?? 0;
    const bOffset = options.bOffset ?? 0;
    const cOffset = options.cOffset ?? 0;
    if (a.length < aOffset + m * k || b.length < bOffset + k * n || c.length < cOffset + m * n)
      throw new RangeError('matmul: arrays too short');
    const kernel = this.context.kernel(
      'matmul',
      matmulShader(transposeA, transposeB, options.accumulate ?? false),
      [['uniform', 'read', 'read', 'storage']],
    );
    const dims = this.uniformOf([m, n, k, aOffset, bOffset, cOffset, 0, 0]);
    const group = this.context.bindGroup(kernel, 0, [dims, a.buffer, b.buffer, c.buffer]);
    return dispatchOp(kernel, [group], [Math.ceil(n / TILE), Math.ceil(m / TILE)]);
  }

  /** Z[r, c] += b[offset + c] for a rows × cols matrix (cols = b.length by default). */
  addBias(z: GpuArray, bias: GpuArray, options: { offset?: number; cols?: number } = {}): EncodableOp {
    const offset = options.offset ?? 0;
    const cols = options.cols ?? bias.length - offset;
    if (bias.length < offset + cols) throw new RangeError('addBias: bias too short');
    return this.elementwise(
      'add bias',
      'z[j] = z[j] + bias[dims.offset + j % cols];',
      [
        ['z', 'storage', z],
        ['bias', 'read', bias],
      ],
      z.length,
      cols,
      offset,
    );
  }

  /** A = act(Z), elementwise (`output` must be another array: WebGPU binds a buffer read-only or writable, not both). */
  activation(kind: Activation, input: GpuArray, output: GpuArray): EncodableOp {
    const body = kind === 'tanh' ? 'a[j] = stableTanh(z[j]);' : 'a[j] = max(z[j], 0.0);';
    return this.elementwise(
      kind,
      body,
      [
        ['z', 'read', input],
        ['a', 'storage', output],
      ],
      input.length,
    );
  }

  /**
   * dZ = dA ⊙ act'(Z): tanh' = 1 − A² (from the activation's output A), relu' = [Z > 0]
   * (from its input Z). `from` is A for tanh and Z for relu; `gradient` is dA, overwritten by dZ.
   */
  activationBackward(kind: Activation, from: GpuArray, gradient: GpuArray): EncodableOp {
    const body =
      kind === 'tanh'
        ? 'let a = source[j];\n    d[j] = d[j] * (1.0 - a * a);'
        : 'd[j] = select(0.0, d[j], source[j] > 0.0);';
    return this.elementwise(
      `${kind} backward`,
      body,
      [
        ['source', 'read', from],
        ['d', 'storage', gradient],
      ],
      gradient.length,
    );
  }

  /**
   * Softmax cross-entropy over `rows` rows of `classes` logits, labels as class indices 0…K−1
   * (float32-held integers): loss[r] = −log softmax(zᵣ)_yᵣ = log Σₖ e^(zᵣₖ − max) − (zᵣ,yᵣ − max),
   * gradient[r, k] = (softmax(zᵣ)ₖ − [k = yᵣ]) / rows (the gradient of the mean loss).
   */
  softmaxCrossEntropy(options: {
    logits: GpuArray;
    labels: GpuArray;
    rows: number;
    classes: number;
    loss: GpuArray;
    gradient: GpuArray;
  }): EncodableOp {
    const { classes, ...rest } = options;
    return this.lossHead({ ...rest, head: 'softmax_cross_entropy', outputs: classes });
  }

  /**
   * A loss head over `rows` rows of `outputs` network outputs Z against the labels (the
   * formulas of objectives/models/loss-heads.ts, float32): loss[r] per row; with `gradient`,
   * dZ = ∂((1/rows) Σ loss)/∂Z; with `correct`, correct[r] = 1 when row r is classified right
   * (z > 0 for binary cross-entropy, the first largest output for softmax; 0 for mse).
   * - mse: (z − y)², dZ = 2(z − y)/rows
   * - binary_cross_entropy: max(z, 0) + log(1 + e^−|z|) − y·z, dZ = (σ(z) − y)/rows
   * - softmax_cross_entropy: log Σₖ e^(zₖ − m) − (z_y − m), dZₖ = (softmax(z)ₖ − [k = y])/rows
   */
  lossHead(options: {
    head: LossHead;
    logits: GpuArray;
    labels: GpuArray;
    rows: number;
    outputs: number;
    loss: GpuArray;
    gradient?: GpuArray;
    correct?: GpuArray;
  }): EncodableOp {
    const { head, logits, labels, rows, outputs, loss, gradient, correct } = options;
    if (logits.length < rows * outputs || labels.length < rows || loss.length < rows)
      throw new RangeError('lossHead: arrays too short');
    const kinds: BindingKind[] = ['uniform', 'read', 'read', 'storage'];
    const buffers = [logits.buffer, labels.buffer, loss.buffer];
    if (gradient) {
      kinds.push('storage');
      buffers.push(gradient.buffer);
    }
    if (correct) {
      kinds.push('storage');
      buffers.push(correct.buffer);
    }
    const kernel = this.context.kernel(
      `loss head ${head}`,
      lossHeadShader(head, gradient !== undefined, correct !== undefined),
      [kinds],
    );
    const dims = this.uniformOf([rows, outputs, 0, 0]);
    const group = this.context.bindGroup(kernel, 0, [dims, ...buffers]);
    return dispatchOp(kernel, [group], [workgroupsFor(rows)]);
  }

  /**
   * out[offset + c] = Σ_r M[r, c] for a rows × cols matrix (db from dZ; rows = M.length / cols
   * unless given): one workgroup per column.
   */
  columnSums(
    matrix: GpuArray,
    cols: number,
    out: GpuArray,
    options: { rows?: number; offset?: number } = {},
  ): EncodableOp {
    const rows = options.rows ?? matrix.length / cols;
    const offset = options.offset ?? 0;
    if (matrix.length < rows * cols || out.length < offset + cols)
      throw new RangeError('columnSums: arrays too short');
    const kernel = this.context.kernel('column sums', COLUMN_SUMS, [['uniform', 'read', 'storage']]);
    const dims = this.uniformOf([rows, cols, offset, 0]);
    const group = this.context.bindGroup(kernel, 0, [dims, matrix.buffer, out.buffer]);
    return dispatchOp(kernel, [group], [cols]);
  }

  /**
   * out[index] = Σ input (or Σ input² with `squares`): workgroup partial sums, then one workgroup
   * over the partials (fixed pairings: reproducible).
   */
  sum(input: GpuArray, out: GpuArray, index = 0, squares = false): EncodableOp {
    const groups = workgroupsFor(input.length, W);
    const partials = this.context.storage(groups * 4, 'partials');
    const first = this.context.kernel('sum partials', sumShader(squares ? 'v * v' : 'v'), [
      ['uniform', 'read', 'storage'],
    ]);
    const second = this.context.kernel('sum final', sumShader('v'), [['uniform', 'read', 'storage']]);
    const firstGroup = this.context.bindGroup(first, 0, [
      this.uniformOf([input.length, 0, 0, 0]),
      input.buffer,
      partials,
    ]);
    const secondGroup = this.context.bindGroup(second, 0, [
      this.uniformOf([groups, index, 0, 0]),
      partials,
      out.buffer,
    ]);
    return {
      encode(pass) {
        pass.setPipeline(first.pipeline);
        pass.setBindGroup(0, firstGroup);
        pass.dispatchWorkgroups(groups);
        pass.setPipeline(second.pipeline);
        pass.setBindGroup(0, secondGroup);
        pass.dispatchWorkgroups(1);
      },
    };
  }

  /** An elementwise grid-stride kernel over `length` elements; `cols` is available to the body. */
  private elementwise(
    label: string,
    body: string,
    arrays: [string, 'read' | 'storage', GpuArray][],
    length: number,
    cols = 1,
    offset = 0,
  ): EncodableOp {
    const bindings = arrays
      .map(
        ([name, access], k) =>
          `@group(0) @binding(${k + 1}) var<storage, ${access === 'read' ? 'read' : 'read_write'}> ${name}: array<f32>;`,
      )
      .join('\n');
    const code = `struct Dims { length: u32, cols: u32, offset: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
${bindings}
${TANH}

@compute @workgroup_size(${W})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let cols = dims.cols;
  for (var j = gid.x; j < dims.length; j = j + groups.x * ${W}u) {
    ${body}
  }
}`;
    const kernel = this.context.kernel(label, code, [['uniform', ...arrays.map(([, access]) => access)]]);
    const group = this.context.bindGroup(kernel, 0, [
      this.uniformOf([length, cols, offset, 0]),
      ...arrays.map(([, , array]) => array.buffer),
    ]);
    return dispatchOp(kernel, [group], [workgroupsFor(length)]);
  }

  private uniformOf(values: number[]): GPUBuffer {
    const buffer = this.context.uniform(values.length * 4, 'dims');
    this.context.device.queue.writeBuffer(buffer, 0, new Uint32Array(values));
    return buffer;
  }
}

function dispatchOp(kernel: Kernel, groups: GPUBindGroup[], workgroups: [number, number?]): EncodableOp {
  return {
    encode(pass) {
      pass.setPipeline(kernel.pipeline);
      groups.forEach((group, index) => {
        pass.setBindGroup(index, group);
      });
      pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1);
    },
  };
}

function matmulShader(transposeA: boolean, transposeB: boolean, accumulate: boolean): string {
  // op(A)[row, col] and op(B)[row, col], zero outside the matrix (partial tiles).
  const aIndex = transposeA ? 'dims.aOffset + col * dims.m + row' : 'dims.aOffset + row * dims.k + col';
  const bIndex = transposeB ? 'dims.bOffset + col * dims.k + row' : 'dims.bOffset + row * dims.n + col';
  return `struct Dims { m: u32, n: u32, k: u32, aOffset: u32, bOffset: u32, cOffset: u32, unused0: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
var<workgroup> tileA: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tileB: array<array<f32, ${TILE}>, ${TILE}>;

fn loadA(row: u32, col: u32) -> f32 {
  if (row < dims.m && col < dims.k) { return a[${aIndex}]; }
  return 0.0;
}

fn loadB(row: u32, col: u32) -> f32 {
  if (row < dims.k && col < dims.n) { return b[${bIndex}]; }
  return 0.0;
}

@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.y * ${TILE}u + lid.y;
  let col = wid.x * ${TILE}u + lid.x;
  var sum = 0.0;
  let tiles = (dims.k + ${TILE - 1}u) / ${TILE}u;
  for (var t = 0u; t < tiles; t = t + 1u) {
    tileA[lid.y][lid.x] = loadA(row, t * ${TILE}u + lid.x);
    tileB[lid.y][lid.x] = loadB(t * ${TILE}u + lid.y, col);
    workgroupBarrier();
    for (var q = 0u; q < ${TILE}u; q = q + 1u) { sum = sum + tileA[lid.y][q] * tileB[q][lid.x]; }
    workgroupBarrier();
  }
  if (row < dims.m && col < dims.n) {
    let at = dims.cOffset + row * dims.n + col;
    ${accumulate ? 'c[at] = c[at] + sum;' : 'c[at] = sum;'}
  }
}`;
}

/** The loss head kernel: one invocation per row (see NnKernels.lossHead). */
function lossHeadShader(head: LossHead, withGradient: boolean, withCorrect: boolean): string {
  let binding = 4;
  const gradientBinding = withGradient
    ? `@group(0) @binding(${binding++}) var<storage, read_write> gradient: array<f32>;`
    : '';
  const correctBinding = withCorrect
    ? `@group(0) @binding(${binding++}) var<storage, read_write> correct: array<f32>;`
    : '';
  let body: string;
  if (head === 'mse') {
    body = `let residual = logits[r] - labels[r];
    loss[r] = residual * residual;
    ${withGradient ? 'gradient[r] = 2.0 * scale * residual;' : ''}
    ${withCorrect ? 'correct[r] = 0.0;' : ''}`;
  } else if (head === 'binary_cross_entropy') {
    body = `let z = logits[r];
    let label = labels[r];
    let e = exp(-abs(z));
    loss[r] = max(z, 0.0) + log(1.0 + e) - label * z;
    ${withGradient ? 'gradient[r] = scale * (select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0) - label);' : ''}
    ${withCorrect ? 'correct[r] = select(0.0, 1.0, select(0.0, 1.0, z > 0.0) == label);' : ''}`;
  } else {
    body = `let base = r * classes;
    var largest = logits[base];
    var predicted = 0u;
    for (var k = 1u; k < classes; k = k + 1u) {
      if (logits[base + k] > largest) { largest = logits[base + k]; predicted = k; }
    }
    var total = 0.0;
    for (var k = 0u; k < classes; k = k + 1u) { total = total + exp(logits[base + k] - largest); }
    let label = u32(labels[r]);
    loss[r] = log(total) - (logits[base + label] - largest);
    ${
      withGradient
        ? `for (var k = 0u; k < classes; k = k + 1u) {
      let p = exp(logits[base + k] - largest) / total;
      gradient[base + k] = (p - select(0.0, 1.0, k == label)) * scale;
    }`
        : ''
    }
    ${withCorrect ? 'correct[r] = select(0.0, 1.0, predicted == label);' : ''}`;
  }
  return `struct Dims { rows: u32, classes: u32, unused0: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
${gradientBinding}
${correctBinding}

@compute @workgroup_size(${W})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let classes = dims.classes;
  let scale = 1.0 / f32(dims.rows);
  for (var r = gid.x; r < dims.rows; r = r + groups.x * ${W}u) {
    ${body}
  }
}`;
}

const COLUMN_SUMS = `struct Dims { rows: u32, cols: u32, offset: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> matrix: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> sums: array<f32, ${W}>;

@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let col = wid.x;
  var acc = 0.0;
  for (var r = lid; r < dims.rows; r = r + ${W}u) { acc = acc + matrix[r * dims.cols + col]; }
  sums[lid] = acc;
  workgroupBarrier();
  for (var width = ${W / 2}u; width > 0u; width = width >> 1u) {
    if (lid < width) { sums[lid] = sums[lid] + sums[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[dims.offset + col] = sums[0]; }
}`;

/** Stage of a two-stage sum: each workgroup sums `term` of its elements (dims.x of them) into out[wid + dims.y]. */
function sumShader(term: string): string {
  return `struct Dims { length: u32, offset: u32, unused0: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> sums: array<f32, ${W}>;

@compute @workgroup_size(${W})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  var acc = 0.0;
  for (var j = gid.x; j < dims.length; j = j + groups.x * ${W}u) {
    let v = input[j];
    acc = acc + ${term};
  }
  sums[lid] = acc;
  workgroupBarrier();
  for (var width = ${W / 2}u; width > 0u; width = width >> 1u) {
    if (lid < width) { sums[lid] = sums[lid] + sums[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[wid.x + dims.offset] = sums[0]; }
}`;
}
