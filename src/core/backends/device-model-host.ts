import type { BatchSamplerState } from '../data/batch-sampler.ts';
import type { Dataset } from '../data/dataset.ts';
import { createObjective } from '../objectives/index.ts';
import type { DataObjective, ModelMetrics } from '../objectives/models/data-objective.ts';
import { lossHead } from '../objectives/models/spec.ts';
import type { CheckpointState } from '../run-bookkeeping.ts';
import type { JobSpec, ModelObjectiveSpec } from '../spec.ts';
import { startPoint } from '../start-point.ts';
import type { TrajectoryPoint } from '../types.ts';
import { foldValidation, type ValidationRules, type ValidationState } from '../validation-state.ts';
import {
  type DeviceModelProblem,
  type DeviceRunRules,
  type EvaluationStats,
  type ModelRunProgram,
  validationStats,
} from './compute-backend.ts';

/**
 * The host's side of a model run on a device (backends/gpu-run.ts): the CPU model objective,
 * built from the same spec, data set and seed as the CPU run's, serves as the batch sampler and
 * the data's preparation (split, standardisation), and is never evaluated during the run. Before
 * each queued evaluation the host moves it to that evaluation's batch (point i is evaluated on
 * batch Bᵢ, as run.ts does) and stages the batch's row indices, so the device trains on exactly
 * the CPU run's batches. It also folds the validation passes into the validation state (best,
 * patience, the plateau schedule on the validation loss: validation-state.ts foldValidation,
 * shared with the CPU run), keeping the best parameters on the host as the CPU run does (from the
 * recorded iterates the batch reads back).
 */
export class DeviceModelHost {
  readonly objective: DataObjective;
  readonly problem: DeviceModelProblem;
  /** Whether there are validation rows: best, plateau and patience then follow the validation loss. */
  readonly validating: boolean;
  readonly patience: number;
  validationState: ValidationState | null = null;
  /** Set by a validation that reaches stop.patience: the run stops `early_stopped`. */
  exhausted = false;
  private program: ModelRunProgram | null = null;
  /** The iteration whose batch the objective is on, and the sampler's position at a batch of steps' start. */
  private batchIteration = 0;
  private mark: { iteration: number; sampler: BatchSamplerState | null } = { iteration: 0, sampler: null };

  constructor(
    private readonly spec: JobSpec & { objective: ModelObjectiveSpec },
    dataset: Dataset,
    rules: (validating: boolean) => DeviceRunRules,
  ) {
    const objective = createObjective(spec.objective, spec.seed, dataset) as DataObjective;
    this.objective = objective;
    this.validating = objective.data.validation.rows > 0;
    this.patience = this.validating
      ? (spec.stop.patience ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
    const model = spec.objective;
    this.problem = {
      ...rules(this.validating),
      model: {
        sizes: objective.sizes,
        activation: model.model === 'mlp' ? model.activation : 'tanh',
        head: lossHead(model),
        l2: model.l2,
        batchSize: objective.batchSize,
        data: objective.data,
      },
    };
  }

  attach(program: ModelRunProgram): void {
    this.program = program;
  }

  /** x₀: the model's standard start (Glorot for the MLP, zeros otherwise) or the spec's. */
  start(): Float64Array {
    return startPoint(this.spec, this.objective.dim, this.objective);
  }

  /** Stages the current batch's rows for the next queued evaluation (the start, or a re-measure). */
  stageCurrent(): void {
    this.device().stageBatch(this.objective.batchIndices());
  }

  /** Moves to the next batch (the next step's) and stages it. */
  stageNext(): void {
    this.objective.nextBatch();
    this.batchIteration++;
    this.stageCurrent();
  }

  /** Remembers where the sampler is before a batch of steps (to go back after a stop inside it). */
  markBatch(): void {
    this.mark = { iteration: this.batchIteration, sampler: this.objective.samplerState() };
  }

  /** Puts the objective back on iteration `iteration`'s batch (the run stopped inside a batch of steps). */
  settle(iteration: number): void {
    if (iteration >= this.batchIteration || iteration < this.mark.iteration) return;
    this.objective.restoreSampler(this.mark.sampler);
    for (let k = this.mark.iteration; k < iteration; k++) this.objective.nextBatch();
    this.batchIteration = iteration;
  }

  queueValidation(region: 'current' | 'previous'): void {
    this.device().queueValidation(region);
  }

  /** A validation pass now (one round trip): the final point's. */
  async validateNow(region: 'current' | 'previous'): Promise<EvaluationStats> {
    const program = this.device();
    program.queueValidation(region);
    const batch = await program.runBatch();
    return batch.stats[0];
  }

  /** Folds a validation slot into the state at `point`, whose iterate is `x` (see foldValidation). */
  validate(
    point: TrajectoryPoint,
    stats: EvaluationStats,
    f: number,
    final: boolean,
    x: Float32Array,
    rules: Omit<ValidationRules, 'patience'>,
  ): void {
    const folded = foldValidation(
      this.validationState,
      this.metrics(stats),
      point,
      f,
      final,
      this.objective.dim,
      { ...rules, patience: this.patience },
    );
    this.validationState = folded.state;
    if (folded.improved) folded.state.bestX.set(x);
    if (folded.exhausted) this.exhausted = true;
  }

  /** The checkpoint's `data`, as the CPU run's: the sampler's position and the validation state. */
  checkpointData(): CheckpointState['data'] {
    return { sampler: this.objective.samplerState(), validation: this.validationState };
  }

  /** Back to a checkpoint's data: the same batch, the validation state and its best parameters. */
  restore(
    iteration: number,
    data: { sampler: BatchSamplerState | null; validation: ValidationState | null } | null | undefined,
  ): void {
    this.batchIteration = iteration;
    this.mark = { iteration, sampler: null };
    if (!data) return;
    this.objective.restoreSampler(data.sampler);
    this.validationState = data.validation;
    this.exhausted = (data.validation?.badCount ?? 0) >= this.patience;
  }

  private metrics(stats: EvaluationStats): ModelMetrics {
    const { loss, correct } = validationStats(stats);
    return {
      loss,
      accuracy:
        this.objective.task === 'classification' ? correct / this.objective.data.validation.rows : null,
    };
  }

  private device(): ModelRunProgram {
    if (this.program === null) throw new Error('the model host has no program');
    return this.program;
  }
}
