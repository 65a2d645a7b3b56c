import { quadraticEigenvalues } from '../../objectives/builtins/quadratic.ts';
import type {
  BatchReadback,
  DeviceProblem,
  DeviceRunState,
  EvaluationStats,
  RunProgram,
  StepInput,
} from '../compute-backend.ts';
import { BufferUsage, UNIFORM_ALIGNMENT } from './constants.ts';
import { type GpuContext, type Kernel, workgroupsFor } from './gpu-context.ts';
import { type ObjectiveKernel, objectiveKernel } from './objective-kernels.ts';
import { type UpdateRule, updateRule } from './optimizer-updates.ts';
import { CONFIG, FLOAT32_MAX, MODE, PARAMS, STATE } from './run-layout.ts';
import {
  finalizeShader,
  objectiveShader,
  recordShader,
  sumsFinalizeShader,
  updateShader,
} from './run-shaders.ts';

/** Evaluations one batch may queue (params slots and ring slots are allocated for this many). */
export const MAX_BATCH_EVALUATIONS = 4096;
/** Recorded iterates one batch may hold: at most this many float32 values in all (64 MiB). */
export const RECORD_BUDGET_FLOATS = 1 << 24;

const RING_SLOT_BYTES = 16;

const NO_STEP: StepInput = { iteration: 0, lr: 0, usePlateau: false, biasCorrection1: 1, biasCorrection2: 1 };

/**
 * A first-order problem on a WebGPU device (see RunProgram). Buffers: the iterates (three
 * regions of n, see run-layout.ts STATE), the gradient, the optimizer's state arrays, λ for the
 * quadratic, the workgroup partials, the state struct, the ring of per-evaluation stats, and the
 * recorded iterates. Steps are encoded into one compute pass; `runBatch` submits it with the
 * copies of the ring, the state and the recorded iterates into one staging buffer, and maps that
 * once: one device round trip per batch.
 */
export class WebGpuRunProgram implements RunProgram {
  readonly dim: number;
  /** Iterates recorded per batch at most (the record budget over n). */
  readonly maxRecordedPerBatch: number;
  readonly maxBatchEvaluations = MAX_BATCH_EVALUATIONS;

  private readonly rule: UpdateRule;
  private readonly objective: ObjectiveKernel;
  private readonly iterates: GPUBuffer;
  private readonly gradient: GPUBuffer;
  private readonly stateArrays: GPUBuffer[];
  private readonly lambda: GPUBuffer | null;
  private readonly partials: GPUBuffer;
  private readonly stateBuffer: GPUBuffer;
  private readonly config: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly ring: GPUBuffer;
  private readonly staging: GPUBuffer;
  private recorded: GPUBuffer | null = null;
  private recordStaging: GPUBuffer | null = null;

  private readonly updateKernel: Kernel;
  private readonly objectiveKernel: Kernel;
  private readonly finalizeKernel: Kernel;
  private readonly sumsKernel: Kernel | null;
  private readonly sumsFinalizeKernel: Kernel | null;
  private readonly recordKernel: Kernel;
  private readonly updateGroups: [GPUBindGroup, GPUBindGroup];
  private readonly objectiveGroups: [GPUBindGroup, GPUBindGroup];
  private readonly finalizeGroups: [GPUBindGroup, GPUBindGroup];
  private readonly sumsGroups: [GPUBindGroup, GPUBindGroup] | null;
  private readonly sumsFinalizeGroup: GPUBindGroup | null;
  private recordGroups: [GPUBindGroup, GPUBindGroup] | null = null;
  private readonly elementwiseWorkgroups: number;
  private readonly partialWorkgroups: number;

  /** The params of the queued evaluations, uploaded on runBatch. */
  private readonly paramsArena = new ArrayBuffer(MAX_BATCH_EVALUATIONS * UNIFORM_ALIGNMENT);
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private queued = 0;
  private queuedRecords = 0;

  constructor(
    private readonly context: GpuContext,
    problem: DeviceProblem,
  ) {
    const n = problem.objective.dim;
    this.dim = n;
    this.rule = updateRule(problem.optimizer);
    this.objective = objectiveKernel(problem.objective);
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
    this.partialWorkgroups = workgroupsFor(n, context.workgroupCaps.reduction);

    this.iterates = context.storage(3 * bytes, 'iterates');
    this.gradient = context.storage(bytes, 'gradient');
    this.stateArrays = this.rule.stateArrays.map((name) => context.storage(bytes, name));
    this.lambda = this.objective.lambda ? context.storage(bytes, 'lambda') : null;
    if (this.lambda) {
      context.writeFloats(
        this.lambda,
        quadraticEigenvalues(n, problem.objective.params.conditionNumber as number),
      );
    }
    this.partials = context.storage(this.partialWorkgroups * 16, 'partials');
    this.stateBuffer = context.storage(STATE.byteLength, 'run state');
    this.config = context.uniform(CONFIG.byteLength, 'config');
    this.params = context.uniform(MAX_BATCH_EVALUATIONS * UNIFORM_ALIGNMENT, 'step params');
    this.ring = context.storage(MAX_BATCH_EVALUATIONS * RING_SLOT_BYTES, 'ring');
    this.staging = context.device.createBuffer({
      label: 'batch staging',
      size: MAX_BATCH_EVALUATIONS * RING_SLOT_BYTES + STATE.byteLength,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    this.writeConfig(problem);

    const common: ['dynamic-uniform', 'uniform', 'read'] = ['dynamic-uniform', 'uniform', 'read'];
    const finalizeCommon: ['dynamic-uniform', 'uniform', 'storage'] = [
      'dynamic-uniform',
      'uniform',
      'storage',
    ];
    this.updateKernel = context.kernel('update', updateShader(this.rule), [
      common,
      ['storage', 'read', ...this.rule.stateArrays.map(() => 'storage' as const)],
    ]);
    const objectiveArrays: ('read' | 'storage')[] = ['read', 'storage', 'storage'];
    if (this.lambda) objectiveArrays.push('read');
    this.objectiveKernel = context.kernel('objective', objectiveShader(this.objective, 'gradient'), [
      common,
      objectiveArrays,
    ]);
    this.finalizeKernel = context.kernel('finalize', finalizeShader(this.objective), [
      finalizeCommon,
      ['read', 'storage'],
    ]);
    this.recordKernel = context.kernel('record', recordShader(), [common, ['read', 'storage']]);

    const paramsSize = [PARAMS.byteLength];
    const shared = (kernel: Kernel) =>
      context.bindGroup(kernel, 0, [this.params, this.config, this.stateBuffer], paramsSize);
    this.updateGroups = [
      shared(this.updateKernel),
      context.bindGroup(this.updateKernel, 1, [this.iterates, this.gradient, ...this.stateArrays]),
    ];
    const objectiveBuffers = [this.iterates, this.gradient, this.partials];
    if (this.lambda) objectiveBuffers.push(this.lambda);
    this.objectiveGroups = [
      shared(this.objectiveKernel),
      context.bindGroup(this.objectiveKernel, 1, objectiveBuffers),
    ];
    this.finalizeGroups = [
      shared(this.finalizeKernel),
      context.bindGroup(this.finalizeKernel, 1, [this.partials, this.ring]),
    ];
    if (this.objective.sums) {
      this.sumsKernel = context.kernel('objective sums', objectiveShader(this.objective, 'sums'), [
        common,
        ['read', 'storage', 'storage'],
      ]);
      this.sumsFinalizeKernel = context.kernel('sums finalize', sumsFinalizeShader(), [
        finalizeCommon,
        ['read'],
      ]);
      this.sumsGroups = [
        shared(this.sumsKernel),
        context.bindGroup(this.sumsKernel, 1, [this.iterates, this.gradient, this.partials]),
      ];
      this.sumsFinalizeGroup = context.bindGroup(this.sumsFinalizeKernel, 1, [this.partials]);
    } else {
      this.sumsKernel = null;
      this.sumsFinalizeKernel = null;
      this.sumsGroups = null;
      this.sumsFinalizeGroup = null;
    }
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
    this.dispatch(pass, this.updateKernel, this.updateGroups, offset, this.elementwiseWorkgroups);
    this.dispatchEvaluation(pass, offset);
    if (record) {
      const groups = this.recordBindings();
      this.dispatch(pass, this.recordKernel, groups, offset, this.elementwiseWorkgroups);
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
    this.dispatch(pass, this.updateKernel, this.updateGroups, offset, this.elementwiseWorkgroups);
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
    for (const buffer of [
      this.iterates,
      this.gradient,
      ...this.stateArrays,
      this.lambda,
      this.partials,
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
    if (this.sumsKernel && this.sumsGroups && this.sumsFinalizeKernel && this.sumsFinalizeGroup) {
      this.dispatch(pass, this.sumsKernel, this.sumsGroups, offset, this.partialWorkgroups);
      this.dispatch(
        pass,
        this.sumsFinalizeKernel,
        [this.finalizeGroups[0], this.sumsFinalizeGroup],
        offset,
        1,
      );
    }
    this.dispatch(pass, this.objectiveKernel, this.objectiveGroups, offset, this.partialWorkgroups);
    this.dispatch(pass, this.finalizeKernel, this.finalizeGroups, offset, 1);
  }

  private dispatch(
    pass: GPUComputePassEncoder,
    kernel: Kernel,
    groups: GPUBindGroup[],
    offset: number,
    workgroups: number,
  ): void {
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, groups[0], [offset]);
    pass.setBindGroup(1, groups[1]);
    pass.dispatchWorkgroups(workgroups);
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

  private writeConfig(problem: DeviceProblem): void {
    const { stop, plateau, optimizer } = problem;
    const config = new ArrayBuffer(CONFIG.byteLength);
    CONFIG.pack(
      {
        n: this.dim,
        partialCount: this.partialWorkgroups,
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
        ...this.objective.config,
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
