import { BatchSampler, type BatchSamplerState } from '../../data/batch-sampler.ts';
import type { DatasetTask } from '../../data/dataset.ts';
import { Rng } from '../../random.ts';
import type { DataObjective, ModelData, ModelMetrics } from './data-objective.ts';
import { glorotUniform } from './glorot.ts';
import { linearModelHessian } from './linear-hessian.ts';
import { Network } from './network.ts';
import type { Activation, LossHead } from './spec.ts';

/** What a model objective is built from (createModelObjective prepares it from a spec and a data set). */
export interface ModelParts {
  sizes: number[];
  activation: Activation;
  head: LossHead;
  task: DatasetTask;
  l2: number;
  /** Effective rows per batch, 1 … training rows. */
  batchSize: number;
  data: ModelData;
  /** Seeds of the batch sampler and of the Glorot start (already separate streams). */
  samplerSeed: number;
  initSeed: number;
  /** Whether the standard start is Glorot (MLP) rather than zeros. */
  glorotStart: boolean;
}

/**
 * A model fitted to data, as a {@link DataObjective}:
 *   f(θ) = (1/|B|) Σ_{r∈B} loss(rowᵣ; θ) + (l2/2) Σ_layers ‖Wₗ‖²
 * over the current batch B, biases unpenalised; ∇f by backpropagation ({@link Network}).
 * Mini-batch rows are copied into a contiguous buffer once per `nextBatch`, so the evaluations
 * of an iteration read one block of memory; the full batch reads the training rows in place.
 */
export class ModelObjective implements DataObjective {
  readonly dim: number;
  readonly task: DatasetTask;
  readonly sizes: readonly number[];
  readonly data: ModelData;
  readonly batchSize: number;
  readonly miniBatch: boolean;

  protected readonly network: Network;
  protected readonly head: LossHead;
  /** The current batch: rows × features (row-major) and its targets. */
  protected batchX: Float64Array;
  protected batchY: Float64Array;
  protected batchRows: number;

  private readonly l2: number;
  private readonly sampler: BatchSampler | null;
  private readonly initSeed: number;
  private readonly glorotStart: boolean;

  constructor(parts: ModelParts) {
    this.network = new Network(parts.sizes, parts.activation, parts.head);
    this.dim = this.network.dim;
    this.sizes = parts.sizes;
    this.head = parts.head;
    this.task = parts.task;
    this.l2 = parts.l2;
    this.data = parts.data;
    this.initSeed = parts.initSeed;
    this.glorotStart = parts.glorotStart;
    const rows = parts.data.training.rows;
    this.batchSize = Math.min(parts.batchSize, rows);
    this.miniBatch = this.batchSize < rows;
    if (this.miniBatch) {
      this.sampler = new BatchSampler(rows, this.batchSize, parts.samplerSeed);
      this.batchX = new Float64Array(this.batchSize * parts.data.training.features);
      this.batchY = new Float64Array(this.batchSize);
      this.batchRows = 0;
      this.gatherBatch(this.sampler);
    } else {
      this.sampler = null;
      this.batchX = parts.data.training.X;
      this.batchY = parts.data.training.y;
      this.batchRows = rows;
    }
  }

  get epoch(): number {
    return this.sampler?.epoch ?? 0;
  }

  value(x: Float64Array): number {
    return (
      this.network.meanLoss(this.batchX, this.batchY, this.batchRows, x, null, false) + this.penalty(x, null)
    );
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    return this.network.meanLoss(this.batchX, this.batchY, this.batchRows, x, g, false) + this.penalty(x, g);
  }

  defaultStart(): Float64Array {
    if (!this.glorotStart) return new Float64Array(this.dim);
    return glorotUniform(this.network.layers, this.dim, Rng.fromSeed(this.initSeed));
  }

  nextBatch(): void {
    if (this.sampler === null) return;
    this.sampler.next();
    this.gatherBatch(this.sampler);
  }

  batchIndices(): Uint32Array | null {
    const sampler = this.sampler;
    if (sampler === null) return null;
    return sampler.order.subarray(sampler.batchStart, sampler.batchStart + sampler.batchRows);
  }

  samplerState(): BatchSamplerState | null {
    return this.sampler?.state() ?? null;
  }

  restoreSampler(state: BatchSamplerState | null): void {
    if (this.sampler === null || state === null) return;
    this.sampler.restore(state);
    this.gatherBatch(this.sampler);
  }

  validation(x: Float64Array): ModelMetrics | null {
    const { X, y, rows } = this.data.validation;
    if (rows === 0) return null;
    return this.metrics(X, y, rows, x, 0);
  }

  training(x: Float64Array): ModelMetrics {
    const { X, y, rows } = this.data.training;
    return this.metrics(X, y, rows, x, this.penalty(x, null));
  }

  private metrics(
    X: Float64Array,
    y: Float64Array,
    rows: number,
    x: Float64Array,
    penalty: number,
  ): ModelMetrics {
    const loss = this.network.meanLoss(X, y, rows, x, null, true) + penalty;
    return { loss, accuracy: this.task === 'classification' ? this.network.correct / rows : null };
  }

  /** (l2/2)·Σ W² over every layer's weights; with g, adds l2·W to the weight entries of g. */
  protected penalty(x: Float64Array, g: Float64Array | null): number {
    const l2 = this.l2;
    if (l2 === 0) return 0;
    let sum = 0;
    for (const { weightOffset, biasOffset } of this.network.layers) {
      for (let i = weightOffset; i < biasOffset; i++) {
        const w = x[i];
        sum += w * w;
        if (g !== null) g[i] += l2 * w;
      }
    }
    return 0.5 * l2 * sum;
  }

  /** Adds the penalty's Hessian, l2 on the diagonal entries of the weights, to h. */
  protected penaltyHessian(h: Float64Array): void {
    const l2 = this.l2;
    const dim = this.dim;
    for (const { weightOffset, biasOffset } of this.network.layers) {
      for (let i = weightOffset; i < biasOffset; i++) h[i * dim + i] += l2;
    }
  }

  /** Copies the sampler's current batch of training rows into batchX / batchY. */
  private gatherBatch(sampler: BatchSampler): void {
    const { X, y, features } = this.data.training;
    const order = sampler.order;
    const start = sampler.batchStart;
    const count = sampler.batchRows;
    for (let k = 0; k < count; k++) {
      const row = order[start + k];
      for (let j = 0; j < features; j++) this.batchX[k * features + j] = X[row * features + j];
      this.batchY[k] = y[row];
    }
    this.batchRows = count;
  }
}

/**
 * Linear, logistic and softmax regression: one layer, and a closed-form Hessian
 * ({@link linearModelHessian}) on the current batch, plus l2 on the weight diagonal. The MLP has
 * no `hessian` method at all, so Newton and the diagnostics see it has none.
 */
export class LinearModelObjective extends ModelObjective {
  private readonly hessianScratch: Float64Array;

  constructor(parts: ModelParts) {
    super(parts);
    const outputs = parts.sizes[1];
    this.hessianScratch = new Float64Array(outputs + outputs * outputs);
  }

  hessian(x: Float64Array, h: Float64Array): void {
    const [features, outputs] = this.sizes;
    linearModelHessian(this.head, this.batchX, this.batchRows, features, outputs, x, h, this.hessianScratch);
    this.penaltyHessian(h);
  }
}
