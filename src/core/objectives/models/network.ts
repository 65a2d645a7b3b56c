import { createDenseKernels, type DenseKernels, transpose } from './dense.ts';
import { correctPredictions, headLoss, type OutputHead } from './loss-heads.ts';
import type { Activation, LossHead } from './spec.ts';

/** Rows pushed through the network at once: activations of a chunk stay in cache, and memory stays bounded for a full batch of any size. */
export const CHUNK_ROWS = 64;

/**
 * Where each layer's parameters sit in the flat parameter vector (API.md: "weights then biases,
 * layer by layer"): layer l (1-based, sizes[l−1] inputs, sizes[l] outputs) holds its weight
 * matrix W (sizes[l] × sizes[l−1], row-major: W[o][i] at weightOffset + o·sizes[l−1] + i, the
 * layout of PyTorch's Linear.weight) and then its bias b (sizes[l]); layer l + 1 follows.
 */
export interface LayerLayout {
  inputs: number;
  outputs: number;
  weightOffset: number;
  biasOffset: number;
}

export function layerLayouts(sizes: readonly number[]): LayerLayout[] {
  const layers: LayerLayout[] = [];
  let offset = 0;
  for (let l = 1; l < sizes.length; l++) {
    const inputs = sizes[l - 1];
    const outputs = sizes[l];
    layers.push({ inputs, outputs, weightOffset: offset, biasOffset: offset + outputs * inputs });
    offset += outputs * inputs + outputs;
  }
  return layers;
}

/**
 * A fully connected network zₗ = Wₗ aₗ₋₁ + bₗ, aₗ = act(zₗ) for hidden layers, the output layer
 * linear and followed by the loss head; with no hidden layer it is the linear, logistic or softmax
 * regression model. Exact backpropagation, chunk by chunk:
 *   δ_L = ∂loss/∂z_L (from the head, already divided by n),
 *   ∇Wₗ += δₗᵀ aₗ₋₁,  ∇bₗ += Σ_rows δₗ,  δₗ₋₁ = (δₗ Wₗ) ⊙ act′(aₗ₋₁)
 * with act′ = 1 − a² for tanh and [a > 0] for relu (0 at the kink, as PyTorch).
 *
 * Every product is the one kernel C = base + P·Q of dense.ts (WebAssembly SIMD): the forward pass
 * Zₗ = bₗ + aₗ₋₁ Wₗᵀ reads Wₗᵀ, copied once per evaluation; ∇Wₗ += δₗᵀ aₗ₋₁ reads δₗ transposed
 * through its strides; ∇bₗ += 1·δₗ; δₗ Wₗ reads Wₗ in place. All of it works in one workspace
 * allocated at construction, for CHUNK_ROWS rows: the parameters and the gradient (copied in and
 * out once per evaluation, a few µs against the products' hundreds), the chunk of input rows, each
 * layer's activations, deltas and transposed weights, a row of zeros and a one. An evaluation
 * allocates nothing.
 */
export class Network {
  readonly dim: number;
  readonly layers: LayerLayout[];
  /** Whether the kernels run in WebAssembly SIMD (false: their JavaScript twins, the same numbers). */
  readonly simd: boolean;
  private readonly output: OutputHead;
  /** Correct predictions counted by the last `meanLoss` call that asked for them. */
  correct = 0;

  private readonly kernels: DenseKernels;
  private readonly data: Float64Array;
  /** Workspace offsets: parameters, gradient, the input chunk, a row of zeros, a one. */
  private readonly paramsAt: number;
  private readonly gradientAt: number;
  private readonly inputAt: number;
  private readonly zerosAt: number;
  private readonly oneAt: number;
  /** Per layer (index l−1): aₗ (hidden, after the activation) or z_L (output), CHUNK_ROWS × outputs. */
  private readonly activationsAt: number[];
  /** Per layer: δₗ = ∂loss/∂zₗ, CHUNK_ROWS × outputs. */
  private readonly deltasAt: number[];
  /** Per layer: Wₗᵀ (inputs × outputs), copied once per evaluation. */
  private readonly transposedWeightsAt: number[];
  /** Views of the output layer's z and δ (the loss head reads and writes them). */
  private readonly logits: Float64Array;
  private readonly outputDelta: Float64Array;

  constructor(
    readonly sizes: readonly number[],
    readonly activation: Activation,
    readonly head: LossHead,
    simd = true,
  ) {
    this.layers = layerLayouts(sizes);
    const last = this.layers[this.layers.length - 1];
    this.dim = last.biasOffset + last.outputs;
    this.output = { head, outputs: last.outputs };
    let size = 0;
    const region = (length: number) => {
      const at = size;
      size += length;
      return at;
    };
    this.paramsAt = region(this.dim);
    this.gradientAt = region(this.dim);
    this.inputAt = region(CHUNK_ROWS * sizes[0]);
    this.zerosAt = region(Math.max(...sizes));
    this.oneAt = region(1);
    this.activationsAt = this.layers.map((layer) => region(CHUNK_ROWS * layer.outputs));
    this.deltasAt = this.layers.map((layer) => region(CHUNK_ROWS * layer.outputs));
    this.transposedWeightsAt = this.layers.map((layer) => region(layer.inputs * layer.outputs));
    this.kernels = createDenseKernels(size, simd);
    this.simd = this.kernels.simd;
    this.data = this.kernels.data;
    this.data[this.oneAt] = 1;
    const outputAt = this.activationsAt[this.layers.length - 1];
    const outputDeltaAt = this.deltasAt[this.layers.length - 1];
    this.logits = this.data.subarray(outputAt, outputAt + CHUNK_ROWS * last.outputs);
    this.outputDelta = this.data.subarray(outputDeltaAt, outputDeltaAt + CHUNK_ROWS * last.outputs);
  }

  /**
   * The mean loss (1/n) Σ loss(rowᵣ) over the n = `rows` rows of X (row-major, rows × sizes[0])
   * and y at parameters `x`; with `g`, writes its gradient into g (every entry). With
   * `countCorrect`, leaves the number of correctly classified rows in {@link correct}.
   */
  meanLoss(
    X: Float64Array,
    y: Float64Array,
    rows: number,
    x: Float64Array,
    g: Float64Array | null,
    countCorrect: boolean,
  ): number {
    const scale = 1 / rows;
    const output = this.output;
    const data = this.data;
    const features = this.sizes[0];
    data.set(x, this.paramsAt);
    for (let l = 0; l < this.layers.length; l++) {
      const { inputs, outputs, weightOffset } = this.layers[l];
      transpose(data, outputs, inputs, this.paramsAt + weightOffset, this.transposedWeightsAt[l]);
    }
    if (g !== null) data.fill(0, this.gradientAt, this.gradientAt + this.dim);
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rows - start);
      data.set(X.subarray(start * features, (start + count) * features), this.inputAt);
      this.forward(count);
      loss += headLoss(output, this.logits, count, y, start, g === null ? null : this.outputDelta, scale);
      if (countCorrect) correct += correctPredictions(output, this.logits, count, y, start);
      if (g !== null) this.backward(count);
    }
    if (g !== null) g.set(data.subarray(this.gradientAt, this.gradientAt + this.dim));
    if (countCorrect) this.correct = correct;
    return loss * scale;
  }

  /** aₗ = act(bₗ + aₗ₋₁ Wₗᵀ) for the `count` rows of the input chunk; the output layer's z stays linear. */
  private forward(count: number): void {
    const kernels = this.kernels;
    let input = this.inputAt;
    const last = this.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { inputs, outputs, biasOffset } = this.layers[l];
      const out = this.activationsAt[l];
      kernels.multiply(
        count,
        outputs,
        inputs,
        input,
        inputs,
        1,
        this.transposedWeightsAt[l],
        out,
        this.paramsAt + biasOffset,
      );
      if (l < last) {
        if (this.activation === 'tanh') kernels.tanh(out, count * outputs);
        else kernels.relu(out, count * outputs);
      }
      input = out;
    }
  }

  /** Adds the chunk's ∇W and ∇b into the gradient, from δ_L left in the last delta region by the head. */
  private backward(count: number): void {
    const kernels = this.kernels;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { inputs, outputs, weightOffset, biasOffset } = this.layers[l];
      const delta = this.deltasAt[l];
      const input = l === 0 ? this.inputAt : this.activationsAt[l - 1];
      // ∇W (outputs × inputs) += δᵀ a: P(o, r) = δ[r][o]
      kernels.multiply(outputs, inputs, count, delta, 1, outputs, input, this.gradientAt + weightOffset, -1);
      // ∇b += 1·δ: P is the constant one (strides 0)
      kernels.multiply(1, outputs, count, this.oneAt, 0, 0, delta, this.gradientAt + biasOffset, -1);
      if (l === 0) break;
      // δₗ₋₁ = (0 + δₗ Wₗ) ⊙ act′(aₗ₋₁)
      const previous = this.deltasAt[l - 1];
      kernels.multiply(
        count,
        inputs,
        outputs,
        delta,
        outputs,
        1,
        this.paramsAt + weightOffset,
        previous,
        this.zerosAt,
      );
      if (this.activation === 'tanh') kernels.tanhDerivative(previous, input, count * inputs);
      else kernels.reluDerivative(previous, input, count * inputs);
    }
  }
}
