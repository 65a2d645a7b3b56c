import { multiplyTransposedAdd, transpose } from './dense.ts';
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
 * Every product has the shape C += P·Qᵀ ({@link multiplyTransposedAdd}): the forward pass
 * Z = A Wᵀ reads A and W along rows; ∇W = δᵀ A and δ W read transposed copies of δ, A and W,
 * made once per chunk (per evaluation for W), a few percent of the multiply-adds. Scratch is
 * allocated once, for CHUNK_ROWS rows: an evaluation allocates nothing.
 */
export class Network {
  readonly dim: number;
  readonly layers: LayerLayout[];
  private readonly output: OutputHead;
  /** Correct predictions counted by the last `meanLoss` call that asked for them. */
  correct = 0;

  /** Per layer (index l−1): aₗ (hidden, after the activation) or z_L (output), CHUNK_ROWS × outputs. */
  private readonly activations: Float64Array[];
  /** Per layer: δₗ = ∂loss/∂zₗ, CHUNK_ROWS × outputs. */
  private readonly deltas: Float64Array[];
  /** Per layer: Wₗᵀ (inputs × outputs), refreshed once per gradient evaluation (layer 1 needs none). */
  private readonly transposedWeights: Float64Array[];
  /** δₗᵀ and aₗ₋₁ᵀ of the current chunk. */
  private readonly transposedDelta: Float64Array;
  private readonly transposedInput: Float64Array;

  constructor(
    readonly sizes: readonly number[],
    readonly activation: Activation,
    readonly head: LossHead,
  ) {
    this.layers = layerLayouts(sizes);
    const last = this.layers[this.layers.length - 1];
    this.dim = last.biasOffset + last.outputs;
    this.output = { head, outputs: last.outputs };
    this.activations = this.layers.map((layer) => new Float64Array(CHUNK_ROWS * layer.outputs));
    this.deltas = this.layers.map((layer) => new Float64Array(CHUNK_ROWS * layer.outputs));
    this.transposedWeights = this.layers.map((layer, l) =>
      l === 0 ? new Float64Array(0) : new Float64Array(layer.inputs * layer.outputs),
    );
    const widest = Math.max(...sizes);
    this.transposedDelta = new Float64Array(CHUNK_ROWS * widest);
    this.transposedInput = new Float64Array(CHUNK_ROWS * widest);
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
    const logits = this.activations[this.activations.length - 1];
    const delta = this.deltas[this.deltas.length - 1];
    if (g !== null) {
      g.fill(0);
      for (let l = 1; l < this.layers.length; l++) {
        const { inputs, outputs: width, weightOffset } = this.layers[l];
        transpose(width, inputs, x, weightOffset, this.transposedWeights[l]);
      }
    }
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rows - start);
      this.forward(X, start, count, x);
      loss += headLoss(output, logits, count, y, start, g === null ? null : delta, scale);
      if (countCorrect) correct += correctPredictions(output, logits, count, y, start);
      if (g !== null) this.backward(X, start, count, g);
    }
    if (countCorrect) this.correct = correct;
    return loss * scale;
  }

  /** aₗ = act(Wₗ aₗ₋₁ + bₗ) for the `count` rows from `start`; the output layer's z stays linear. */
  private forward(X: Float64Array, start: number, count: number, x: Float64Array): void {
    let input = X;
    let inputOffset = start * this.sizes[0];
    const last = this.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { inputs, outputs, weightOffset, biasOffset } = this.layers[l];
      const out = this.activations[l];
      // z starts as the bias, then z += a Wᵀ
      for (let r = 0; r < count; r++) {
        for (let o = 0; o < outputs; o++) out[r * outputs + o] = x[biasOffset + o];
      }
      multiplyTransposedAdd(count, outputs, inputs, input, inputOffset, x, weightOffset, out, 0);
      if (l < last) activate(this.activation, out, count * outputs);
      input = out;
      inputOffset = 0;
    }
  }

  /** Adds the chunk's ∇W and ∇b into g, from δ_L left in the last delta buffer by the head. */
  private backward(X: Float64Array, start: number, count: number, g: Float64Array): void {
    const deltaT = this.transposedDelta;
    const inputT = this.transposedInput;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { inputs, outputs, weightOffset, biasOffset } = this.layers[l];
      const delta = this.deltas[l];
      const input = l === 0 ? X : this.activations[l - 1];
      const inputOffset = l === 0 ? start * inputs : 0;
      transpose(count, outputs, delta, 0, deltaT);
      transpose(count, inputs, input, inputOffset, inputT);
      // ∇W (outputs × inputs) += δᵀ a
      multiplyTransposedAdd(outputs, inputs, count, deltaT, 0, inputT, 0, g, weightOffset);
      for (let o = 0; o < outputs; o++) {
        let sum = 0;
        for (let r = 0; r < count; r++) sum += deltaT[o * count + r];
        g[biasOffset + o] += sum;
      }
      if (l === 0) break;
      // δₗ₋₁ = (δₗ Wₗ) ⊙ act′(aₗ₋₁), δ Wₗ = δ (Wₗᵀ)ᵀ
      const previous = this.deltas[l - 1];
      previous.fill(0, 0, count * inputs);
      multiplyTransposedAdd(count, inputs, outputs, delta, 0, this.transposedWeights[l], 0, previous, 0);
      activationDerivative(this.activation, previous, input, count * inputs);
    }
  }
}

/** a ← act(a) over the first n entries. */
function activate(activation: Activation, a: Float64Array, n: number): void {
  if (activation === 'tanh') {
    for (let i = 0; i < n; i++) a[i] = Math.tanh(a[i]);
  } else {
    for (let i = 0; i < n; i++) if (a[i] < 0) a[i] = 0;
  }
}

/** δ ← δ ⊙ act′, from the activations a = act(z): 1 − a² (tanh), [a > 0] (relu). */
function activationDerivative(activation: Activation, delta: Float64Array, a: Float64Array, n: number): void {
  if (activation === 'tanh') {
    for (let i = 0; i < n; i++) delta[i] *= 1 - a[i] * a[i];
  } else {
    for (let i = 0; i < n; i++) if (!(a[i] > 0)) delta[i] = 0;
  }
}
