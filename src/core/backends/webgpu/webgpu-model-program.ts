import { parameterCount } from '../../objectives/models/spec.ts';
import type { DeviceModelProblem, ModelRunProgram, StepInput } from '../compute-backend.ts';
import type { GpuContext } from './gpu-context.ts';
import { ModelEvaluation } from './model-evaluation.ts';
import { MODE } from './run-layout.ts';
import { MAX_BATCH_EVALUATIONS, WebGpuRunProgram } from './webgpu-run-program.ts';

/**
 * A model problem on a WebGPU device (see ModelRunProgram): the run program's iterates,
 * optimizer state, fused updates, finalize pass and ring, with a {@link ModelEvaluation} as the
 * objective's passes. Each queued evaluation takes the rows staged before it: they go into a
 * host arena at the evaluation's slot and are uploaded with the batch (batchSize u32 per step:
 * the only per-step traffic to the device). A validation pass takes a slot of the ring like an
 * evaluation.
 */
export class WebGpuModelProgram extends WebGpuRunProgram implements ModelRunProgram {
  override readonly maxBatchEvaluations: number;
  private readonly model: ModelEvaluation;
  private readonly batchSize: number;
  private readonly arena: Uint32Array | null;
  private staged: Uint32Array | null = null;

  constructor(context: GpuContext, problem: DeviceModelProblem) {
    let evaluation: ModelEvaluation | null = null;
    super(context, { ...problem, dim: parameterCount(problem.model.sizes) }, (run) => {
      evaluation = new ModelEvaluation(problem.model, run);
      return evaluation;
    });
    this.model = evaluation as unknown as ModelEvaluation;
    this.batchSize = problem.model.batchSize;
    // Validation passes take slots too (GpuRun counts them in); their index slots go unused.
    const slots = Math.min(MAX_BATCH_EVALUATIONS, this.model.indexSlots);
    this.maxBatchEvaluations = slots;
    this.arena = Number.isFinite(this.model.indexSlots) ? new Uint32Array(slots * this.batchSize) : null;
  }

  stageBatch(rows: Uint32Array | null): void {
    this.staged = rows;
  }

  override queueStart(first: StepInput): void {
    this.takeStaged();
    super.queueStart(first);
  }

  override queueMeasure(): void {
    this.takeStaged();
    super.queueMeasure();
  }

  override queueStep(step: StepInput, record: boolean): void {
    this.takeStaged();
    super.queueStep(step, record);
  }

  queueValidation(region: 'current' | 'previous'): void {
    const mode = region === 'current' ? MODE.validateCurrent : MODE.validatePrevious;
    this.queuePasses(mode, (pass, offset) => this.model.encodeValidation(pass, offset));
  }

  override runBatch() {
    if (this.arena !== null) this.model.uploadRows(this.arena, this.queued);
    return super.runBatch();
  }

  /** The staged rows into the arena at the next evaluation's slot, and its plan's row count. */
  private takeStaged(): void {
    const rows = this.staged;
    this.staged = null;
    if (this.arena === null) return;
    if (rows === null || rows.length === 0 || rows.length > this.batchSize)
      throw new Error('a mini-batch evaluation needs its rows staged (1 … batchSize of them)');
    this.arena.set(rows, this.queued * this.batchSize);
    this.model.rows = rows.length;
  }
}
