import type { BatchSamplerState } from '../../data/batch-sampler.ts';
import type { Dataset, DatasetTask } from '../../data/dataset.ts';
import type { Standardization } from '../../data/standardize.ts';
import type { Objective } from '../../types.ts';

/** A data set prepared for a model: split, and standardised with the training statistics. */
export interface ModelData {
  training: Dataset;
  /** The held-out rows; 0 rows when validationFraction is 0. */
  validation: Dataset;
  /** The training split's feature mean and scale; null without standardisation. */
  standardization: Standardization | null;
}

/** Loss and accuracy of a model on a set of rows. */
export interface ModelMetrics {
  /** Mean loss over the rows. */
  loss: number;
  /** Share of rows classified correctly (classification); null for regression. */
  accuracy: number | null;
}

/**
 * An objective fitted to data, mini-batch aware: f and ∇f (and the Hessian, where it has one) are
 * those of the current batch, `(1/|B|) Σ_{r∈B} loss_r + (l2/2)·‖W‖²`; with the full batch, of
 * every training row. Everything an optimizer sees goes through the plain {@link Objective}
 * methods, so every optimizer, schedule, clipNorm and gradientNoise works unchanged.
 *
 * ## What the run loop must call, and where (src/core/run.ts)
 * 0. Creation: `createObjective` (objectives/index.ts) gains a `model` case calling
 *    createModelObjective(spec, dataset, spec.seed), the data set resolved by the caller (the
 *    worker's cache by datasetId, or a built-in) and passed in, e.g. as `RunOptions.dataset`;
 *    `objectiveDim` for a model is parameterCount(layerSizes(spec, features, classes)). The Run
 *    keeps this uncounted object for the calls below; the counting wrapper only forwards
 *    value/valueAndGradient/hessian, as now.
 * 1. Start point: for `start: {standard: true}` use {@link defaultStart} (Glorot for the MLP,
 *    zeros for the linear models) instead of a zero vector.
 * 2. Batches: the objective is built positioned on batch B₀, so the evaluation of point 0 is on
 *    B₀. In `Run.step()`, call {@link nextBatch} once, AFTER `optimizer.step(...)` returns and
 *    BEFORE `this.evaluate(poison)`. Then step i+1 — its gradient g(xᵢ), and every line-search
 *    trial and Hessian inside it — sees the same batch Bᵢ that produced g(xᵢ), and point i+1 is
 *    evaluated on Bᵢ₊₁. Point i's `f` is the loss of batch Bᵢ at xᵢ. Nothing else moves the batch.
 * 3. Recording: at each recorded point (and the final one), {@link validation}(x) gives
 *    `valF` = loss and `valAccuracy` = accuracy (omit it when null). Validation is computed only
 *    there (it costs a forward pass over the validation rows). `stop.patience` counts those
 *    validation evaluations without a strict improvement of the loss; the `plateau` schedule
 *    observes the validation loss there instead of f at every evaluation. Both are null/no-ops
 *    when {@link validation} returns null (validationFraction 0).
 * 4. Checkpoint: store {@link samplerState}() beside x (plain data, a few numbers). Restore:
 *    build the objective from the same spec, data set and seed, call
 *    {@link restoreSampler}(state) BEFORE the re-evaluation at x (`this.measure(...)` in
 *    `Run.restore`), so that it re-derives f and g on the same batch, bit for bit; the next
 *    `nextBatch()` then continues the interrupted epoch exactly.
 * 5. Result: `f` and `gradNorm` of a mini-batch run are the last batch's; {@link training}(x)
 *    gives the full training loss for `result.validation` or a summary, and the diagnostics'
 *    Hessian (linear models) is the current batch's, like every other evaluation.
 *
 * Nothing here depends on wall time or call counts other than `nextBatch`, so a run is
 * reproducible per (spec, data, seed).
 */
export interface DataObjective extends Objective {
  readonly task: DatasetTask;
  /** Layer widths [features, …hidden, outputs]; the parameter layout follows them (see layerLayouts). */
  readonly sizes: readonly number[];
  /** The data as the model sees it: the split, standardised when the spec asks for it. */
  readonly data: ModelData;
  /** Rows per batch: the spec's batchSize, or every training row (full batch). */
  readonly batchSize: number;
  /** Whether batches are proper subsets of the training rows (batchSize < training rows). */
  readonly miniBatch: boolean;
  /** The current batch's epoch (0-based); always 0 with the full batch. */
  readonly epoch: number;
  /** The standard start: seeded Glorot-uniform weights and zero biases for an MLP, zeros otherwise. */
  defaultStart(): Float64Array;
  /** Moves to the next mini-batch (a seeded reshuffle at each epoch end); no-op with the full batch. */
  nextBatch(): void;
  /**
   * The training rows of the current batch (indices into `data.training`, a view of the
   * sampler's order, valid until the next `nextBatch`); null with the full batch. A device run
   * trains on these rows, so it sees the CPU run's batches.
   */
  batchIndices(): Uint32Array | null;
  /** The sampler's position as plain data; null with the full batch. */
  samplerState(): BatchSamplerState | null;
  /** Back to a position from {@link samplerState} (null: nothing to restore). */
  restoreSampler(state: BatchSamplerState | null): void;
  /**
   * Validation metrics at x: the mean data loss WITHOUT the l2 term (what generalisation is
   * judged by, comparable across l2 values and with other tools' validation loss) and the
   * accuracy; null when there are no validation rows.
   */
  validation(x: Float64Array): ModelMetrics | null;
  /**
   * Metrics over every training row at x, whatever the batch: the loss here is the objective
   * itself, WITH the l2 term (with the full batch it equals f bit for bit).
   */
  training(x: Float64Array): ModelMetrics;
}

/** Whether an objective is fitted to data (and the run loop must drive its batches). */
export function isDataObjective(objective: Objective): objective is DataObjective {
  return typeof (objective as Partial<DataObjective>).nextBatch === 'function';
}
