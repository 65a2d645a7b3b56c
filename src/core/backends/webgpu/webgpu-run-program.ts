import type {
  BatchReadback,
  DeviceRunRules,
  DeviceRunState,
  EvaluationStats,
  RunProgram,
  StepInput,
} from '../compute-backend.ts';
import { BufferUsage, UNIFORM_ALIGNMENT } from './constants.ts';
import { type GpuContext, type Kernel, workgroupsFor } from './gpu-context.ts';
import { type UpdateRule, updateRule } from './optimizer-updates.ts';
import { dispatchStep, type EvaluationPasses, type RunBuffers } from './run-evaluation.ts';
import { CONFIG, FLOAT32_MAX, MODE, PARAMS, STATE } from './run-layout.ts';
import { finalizeShader, recordShader, updateShader } from './run-shaders.ts';

/** Evaluations one batch may queue (params slots and ring slots are allocated for this many). */
export const MAX_BATCH_EVALUATIONS = 4096;
/** Recorded iterates one batch may hold: at most this many float32 values in all (64 MiB). */
export const RECORD_BUDGET_FLOATS = 1 << 24;

const RING_SLOT_BYTES = 16;

const NO_STEP: StepInput = { iteration: 0, lr: 0, usePlateau: false, biasCorrection1: 1, biasCorrection2: 1 };

/**
 * A first-order problem on a WebGPU device (see RunProgram). Buffers: the iterates (three
 * regions of n, see run-layout.ts STATE), the gradient, the optimizer's state arrays, the state
 * struct, the ring of per-evaluation stats, and the recorded iterates; the objective's own
 * passes and buffers (a builtin's, builtin-evaluation.ts, or a model's, model-evaluation.ts)
 * come from `createEvaluation` and end in the workgroup partials the finalize pass reduces. Steps are encoded into one compute pass; `runBatch` submits it with the
 * copies of the ring, the state and the recorded iterates into one staging buffer, and maps that
 * once: one device round trip per batch.
 */
export class WebGpuRunProgram implements RunProgram {
  readonly dim: number;
  /** Iterates recorded per batch at most (the record budget over n). */
  readonly maxRecordedPerBatch: number;
  readonly maxBatchEvaluations: number = MAX_BATCH_EVALUATIONS;

  protected readonly rule: UpdateRule;
  protected readonly evaluation: EvaluationPasses;
  protected readonly iterates: GPUBuffer;
  protected readonly gradient: GPUBuffer;
  private readonly stateArrays: GPUBuffer[];
  protected readonly stateBuffer: GPUBuffer;
  protected readonly config: GPUBuffer;
  protected readonly params: GPUBuffer;
  protected readonly ring: GPUBuffer;
  private readonly staging: GPUBuffer;
  private recorded: GPUBuffer | null = null;
  private recordStaging: GPUBuffer | null = null;

  private readonly updateKernel: Kernel;
  private readonly finalizeKernel: Kernel;
  private readonly recordKernel: Kernel;
  private readonly updateGroups: [GPUBindGroup, GPUBindGroup];
  private readonly finalizeGroups: [GPUBindGroup, GPUBindGroup];
  private recordGroups: [GPUBindGroup, GPUBindGroup] | null = null;
  private readonly elementwiseWorkgroups: number;

  /** The params of the queued evaluations, uploaded on runBatch. */
  private readonly paramsArena = new ArrayBuffer(MAX_BATCH_EVALUATIONS * UNIFORM_ALIGNMENT);
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Evaluations queued in the open batch (the next one's params and ring slot). */
  protected queued = 0;
  private queuedRecords = 0;

  constructor(
    protected readonly context: GpuContext,
    problem: DeviceRunRules & { dim: number },
    createEvaluation: (buffers: RunBuffers) => EvaluationPasses,
  ) {
    const n = problem.dim;
    this.dim = n;
    this.rule = updateRule(problem.optimizer);
    const bytes = n * 4;
    if (3 * bytes > context.maxBindingBytes) {
      throw new RangeError(
        `dimension ${n} exceeds the device's buffer limit (${context.maxBindingBytes} bytes)`,
      );
    }
    this.maxRecordedPerBatch = Math.max(
      1,
      Math.min(
        MAX_BATCH_EVALUATIONS,
        Math.floor(Math.min(RECORD_BUDGET_FLOATS * 4, context.maxBindingBytes) / bytes),
      ),
    );
    this.elementwiseWorkgroups = workgroupsFor(n, context.workgroupCaps.elementwise);

    this.iterates = context.storage(3 * bytes, 'iterates');
    this.gradient = context.storage(bytes, 'gradient');
    this.stateArrays = this.rule.stateArrays.map((name) => context.storage(bytes, name));
    this.stateBuffer = context.storage(STATE.byteLength, 'run state');
    this.config = context.uniform(CONFIG.byteLength, 'config');
    this.params = context.uniform(MAX_BATCH_EVALUATIONS * UNIFORM_ALIGNMENT, 'step params');
    this.ring = context.storage(MAX_BATCH_EVALUATIONS * RING_SLOT_BYTES, 'ring');
    this.staging = context.device.createBuffer({
      label: 'batch staging',
      size: MAX_BATCH_EVALUATIONS * RING_SLOT_BYTES + STATE.byteLength,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    this.evaluation = createEvaluation({
      context,
      dim: n,
      iterates: this.iterates,
      gradient: this.gradient,
      params: this.params,
      config: this.config,
      state: this.stateBuffer,
      ring: this.ring,
    });
    this.writeConfig(problem);

    const common: ['dynamic-uniform', 'uniform', 'read'] = ['dynamic-uniform', 'uniform', 'read'];
    this.updateKernel = context.kernel('update', updateShader(this.rule), [
      common,
      ['storage', 'read', ...this.rule.stateArrays.map(() => 'storage' as const)],
    ]);
    this.finalizeKernel = context.kernel('finalize', finalizeShader(this.evaluation.finalize), [
      ['dynamic-uniform', 'uniform', 'storage'],
      ['read', 'storage'],
    ]);
    this.recordKernel = context.kernel('record', recordShader(), [common, ['read', 'storage']]);

    const shared = (kernel: Kernel) =>
      context.bindGroup(kernel, 0, [this.params, this.config, this.stateBuffer], [PARAMS.byteLength]);
    this.updateGroups = [
      shared(this.updateKernel),
      context.bindGroup(this.updateKernel, 1, [this.iterates, this.gradient, ...this.stateArrays]),
    ];
    this.finalizeGroups = [
      shared(this.finalizeKernel),
      context.bindGroup(this.finalizeKernel, 1, [this.evaluation.partials, this.ring]),
    ];
    this.load({ x: new Float32Array(n), optimizerState: null, bestX: null, scalars: null });
  }

  load(input: {
    x: ArrayLike<number>;
    optimizerState: Record<string, ArrayLike<number>> | null;
    bestX: ArrayLike<number> | null;
    scalars: DeviceRunState | null;
  }): void {
    const n = this.dim;
    const device = this.context.device;
    this.context.writeFloats(this.iterates, input.x, 0);
    this.rule.stateArrays.forEach((name, k) => {
      const values = input.optimizerState?.[name];
      if (values && values.length === n) this.context.writeFloats(this.stateArrays[k], values);
      else {
        // A fresh state (or AMSGrad's v̂max missing from a non-AMSGrad checkpoint) is zero.
        const encoder = device.createCommandEncoder();
        encoder.clearBuffer(this.stateArrays[k]);
        device.queue.submit([encoder.finish()]);
      }
    });
    if (input.bestX) this.context.writeFloats(this.iterates, input.bestX, 2 * n);
    const s = input.scalars;
    const plateau = s?.plateau ?? { scale: 1, best: null, badCount: 0 };
    const state = new ArrayBuffer(STATE.byteLength);
    STATE.pack(
      {
        cur: 0,
        prev: 1,
        best: input.bestX ? 2 : 0,
        stopCode: 0,
        stopIteration: 0,
        bestIteration: s?.bestIteration ?? 0,
        plateauBadCount: plateau.badCount,
        plateauHasBest: plateau.best === null ? 0 : 1,
        f: s?.f ?? 0,
        gradNorm: s?.gradNorm ?? 0,
        lr: s?.lr ?? 0,
        f0: s?.f0 ?? 0,
        prevF: s?.prevF ?? 0,
        prevGradNorm: s?.prevGradNorm ?? 0,
        prevLr: s?.prevLr ?? 0,
        bestF: s && Number.isFinite(s.bestF) ? s.bestF : FLOAT32_MAX,
        divergenceLimit: s ? 1e12 * Math.max(1, Math.abs(s.f0)) : FLOAT32_MAX,
        plateauScale: plateau.scale,
        plateauBest: plateau.best ?? 0,
        sumA: 0,
        sumB: 0,
        sumBad: 0,
      },
      state,
    );
    device.queue.writeBuffer(this.stateBuffer, 0, state);
  }

  queueStart(first: StepInput): void {
    this.queueEvaluation(MODE.start, first);
  }

  queueMeasure(): void {
    this.queueEvaluation(MODE.measure, NO_STEP);
  }

  queueStep(step: StepInput, record: boolean): void {
    const pass = this.openPass();
    const offset = this.writeParams(MODE.step, step, record);
    dispatchStep(pass, this.updateKernel, this.updateGroups, offset, this.elementwiseWorkgroups);
    this.dispatchEvaluation(pass, offset);
    if (record) {
      const groups = this.recordBindings();
      dispatchStep(pass, this.recordKernel, groups, offset, this.elementwiseWorkgroups);
      this.queuedRecords++;
    }
    this.queued++;
  }

  /**
   * Queues the fused update pass alone, without the evaluation (the state does not advance, so
   * every call redoes the same step): for measuring the update's memory bandwidth (bench/gpu.ts).
   */
  queueUpdateOnly(step: StepInput): void {
    const pass = this.openPass();
    const offset = this.writeParams(MODE.step, step, false);
    dispatchStep(pass, this.updateKernel, this.updateGroups, offset, this.elementwiseWorkgroups);
    this.queued++;
  }

  async runBatch(): Promise<BatchReadback> {
    const device = this.context.device;
    const evaluations = this.queued;
    const records = this.queuedRecords;
    this.pass?.end();
    const encoder = this.encoder ?? device.createCommandEncoder();
    this.encoder = null;
    this.pass = null;
    this.queued = 0;
    this.queuedRecords = 0;
    if (evaluations > 0)
      device.queue.writeBuffer(this.params, 0, this.paramsArena, 0, evaluations * UNIFORM_ALIGNMENT);
    const ringBytes = evaluations * RING_SLOT_BYTES;
    if (ringBytes > 0) encoder.copyBufferToBuffer(this.ring, 0, this.staging, 0, ringBytes);
    encoder.copyBufferToBuffer(this.stateBuffer, 0, this.staging, ringBytes, STATE.byteLength);
    const recordBytes = records * this.dim * 4;
    if (records > 0) encoder.copyBufferToBuffer(this.recorded!, 0, this.recordStaging!, 0, recordBytes);
    device.queue.submit([encoder.finish()]);

    const [batch, recordedBytes] = await Promise.all([
      this.context.mapped(this.staging, ringBytes + STATE.byteLength),
      records > 0 ? this.context.mapped(this.recordStaging!, recordBytes) : Promise.resolve(null),
    ]);
    const ring = new Float32Array(batch, 0, evaluations * 4);
    const stats: EvaluationStats[] = [];
    for (let k = 0; k < evaluations; k++) {
      stats.push({
        f: ring[4 * k],
        gradNorm: ring[4 * k + 1],
        lr: ring[4 * k + 2],
        stopCode: ring[4 * k + 3],
      });
    }
    const recorded: Float32Array[] = [];
    for (let r = 0; r < records; r++)
      recorded.push(new Float32Array(recordedBytes!, r * this.dim * 4, this.dim));
    return { stats, state: unpackState(batch, ringBytes), recorded };
  }

  readIterate(region: number): Promise<Float32Array> {
    return this.context.readFloats(this.iterates, region * this.dim, this.dim);
  }

  readGradient(): Promise<Float32Array> {
    return this.context.readFloats(this.gradient, 0, this.dim);
  }

  async readOptimizerState(): Promise<Record<string, Float32Array>> {
    const arrays = await Promise.all(
      this.stateArrays.map((buffer) => this.context.readFloats(buffer, 0, this.dim)),
    );
    return Object.fromEntries(this.rule.stateArrays.map((name, k) => [name, arrays[k]]));
  }

  destroy(): void {
    this.evaluation.destroy();
    for (const buffer of [
      this.iterates,
      this.gradient,
      ...this.stateArrays,
      this.stateBuffer,
      this.config,
      this.params,
      this.ring,
      this.staging,
      this.recorded,
      this.recordStaging,
    ]) {
      buffer?.destroy();
    }
  }

  private queueEvaluation(mode: number, step: StepInput): void {
    const pass = this.openPass();
    const offset = this.writeParams(mode, step, false);
    this.dispatchEvaluation(pass, offset);
    this.queued++;
  }

  /** The objective's passes and the finalize pass, for the params at `offset`. */
  private dispatchEvaluation(pass: GPUComputePassEncoder, offset: number): void {
    this.evaluation.encode(pass, offset);
    dispatchStep(pass, this.finalizeKernel, this.finalizeGroups, offset, 1);
  }

  /**
   * Queues passes of the caller's (a model's validation) as one more evaluation: its params slot
   * (mode `mode`, ring slot = its place in the batch) at the offset `encode` receives, so its
   * ring slot comes back with the batch's stats, in queue order.
   */
  protected queuePasses(mode: number, encode: (pass: GPUComputePassEncoder, offset: number) => void): void {
    const pass = this.openPass();
    const offset = this.writeParams(mode, NO_STEP, false);
    encode(pass, offset);
    this.queued++;
  }

  private openPass(): GPUComputePassEncoder {
    if (this.queued >= MAX_BATCH_EVALUATIONS) {
      throw new RangeError(`a batch holds at most ${MAX_BATCH_EVALUATIONS} evaluations`);
    }
    if (this.pass === null) {
      this.encoder = this.context.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    return this.pass;
  }

  private writeParams(mode: number, step: StepInput, record: boolean): number {
    if (record && this.queuedRecords >= this.maxRecordedPerBatch) {
      throw new RangeError(
        `a batch records at most ${this.maxRecordedPerBatch} iterates of dimension ${this.dim}`,
      );
    }
    const offset = this.queued * UNIFORM_ALIGNMENT;
    PARAMS.pack(
      {
        iteration: step.iteration,
        slot: this.queued,
        mode,
        usePlateau: step.usePlateau ? 1 : 0,
        recordSlot: this.queuedRecords,
        lr: step.lr,
        biasCorrection1: step.biasCorrection1,
        biasCorrection2: step.biasCorrection2,
      },
      this.paramsArena,
      offset,
    );
    return offset;
  }

  private recordBindings(): [GPUBindGroup, GPUBindGroup] {
    if (this.recordGroups === null) {
      const bytes = this.maxRecordedPerBatch * this.dim * 4;
      this.recorded = this.context.storage(bytes, 'recorded iterates');
      this.recordStaging = this.context.device.createBuffer({
        label: 'recorded staging',
        size: bytes,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      });
      this.recordGroups = [
        this.context.bindGroup(
          this.recordKernel,
          0,
          [this.params, this.config, this.stateBuffer],
          [PARAMS.byteLength],
        ),
        this.context.bindGroup(this.recordKernel, 1, [this.iterates, this.recorded]),
      ];
    }
    return this.recordGroups;
  }

  private writeConfig(problem: DeviceRunRules): void {
    const { stop, plateau, optimizer } = problem;
    const config = new ArrayBuffer(CONFIG.byteLength);
    CONFIG.pack(
      {
        n: this.dim,
        partialCount: this.evaluation.partialCount,
        hasTarget: stop.targetValue === null ? 0 : 1,
        hasFTol: stop.fTol === null ? 0 : 1,
        hasClip: optimizer.clipNorm == null ? 0 : 1,
        observePlateau: plateau ? 1 : 0,
        plateauPatience: plateau?.patience ?? 0,
        baseLr: optimizer.lr,
        clipNorm: optimizer.clipNorm ?? 0,
        gradTol: stop.gradTol,
        targetValue: stop.targetValue ?? 0,
        fTol: stop.fTol ?? 0,
        plateauFactor: plateau?.factor ?? 1,
        plateauThreshold: plateau?.threshold ?? 0,
        ...this.rule.config,
        ...this.evaluation.config,
      },
      config,
    );
    this.context.device.queue.writeBuffer(this.config, 0, config);
  }
}

function unpackState(source: ArrayBuffer, offset: number): DeviceRunState {
  const s = STATE.unpack(source, offset);
  return {
    current: s.cur,
    previous: s.prev,
    best: s.best,
    stopCode: s.stopCode,
    stopIteration: s.stopIteration,
    bestIteration: s.bestIteration,
    f: s.f,
    gradNorm: s.gradNorm,
    lr: s.lr,
    f0: s.f0,
    prevF: s.prevF,
    prevGradNorm: s.prevGradNorm,
    prevLr: s.prevLr,
    bestF: s.bestF >= FLOAT32_MAX ? Number.POSITIVE_INFINITY : s.bestF,
    plateau: {
      scale: s.plateauScale,
      best: s.plateauHasBest ? s.plateauBest : null,
      badCount: s.plateauBadCount,
    },
  };
}
