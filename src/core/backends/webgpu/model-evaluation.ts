import { type LayerLayout, layerLayouts } from '../../objectives/models/network.ts';
import type { DeviceModel } from '../compute-backend.ts';
import { BufferUsage } from './constants.ts';
import { type Kernel, workgroupsFor } from './gpu-context.ts';
import { gatherShader, modelSumsShader, parametersShader, validationShader } from './model-shaders.ts';
import { type EncodableOp, type GpuArray, NnKernels } from './nn-kernels.ts';
import { dispatchStep, type EvaluationPasses, type RunBuffers } from './run-evaluation.ts';
import { PARAMS } from './run-layout.ts';

/** Row indices one batch of steps may stage at most (16 MiB of u32). */
export const INDEX_BUDGET = 1 << 22;

/** A pass of an evaluation: a run kernel at the step's params offset, or an nn-kernels op. */
type Pass = (pass: GPUComputePassEncoder, offset: number) => void;

/**
 * A model's evaluation on a WebGPU device (see EvaluationPasses), the CPU model's f and ∇f
 * (objectives/models/model-objective.ts) in float32:
 *
 *   f(θ) = (1/|B|) Σ_{r∈B} loss(rowᵣ; θ) + (λ/2) Σ_layers ‖Wₗ‖²,   ∇f by backpropagation
 *
 * over the evaluation's batch B. The split, standardised training and validation rows are
 * uploaded once. A mini-batch's rows are gathered on the device from the indices the host staged
 * for the evaluation's slot (the CPU batch sampler's rows, so both see the same batches); the full
 * batch reads the training rows in place. Per evaluation: θ copied out of the run's iterate
 * region, then per layer Z = A·Wᵀ + b (W and b read at their offsets in θ) and A = act(Z); the
 * loss head's per-row loss and dZ of the mean; backward dW = dZᵀ·A and db = Σ_rows dZ written
 * into the run's gradient at their offsets, dA = dZ·W and its activation derivative; then the
 * model sums pass. A batch of fewer rows (an epoch's last, when batchSize does not divide the
 * rows) has its own plan over the same buffers; plans are built on first use.
 *
 * The validation pass is the forward pass over the validation rows and the head's loss and
 * correct flags, reduced into the evaluation's ring slot: (mean loss, correct count).
 */
export class ModelEvaluation implements EvaluationPasses {
  readonly partials: GPUBuffer;
  readonly partialCount: number;
  readonly finalize = { value: 'total.x' };
  readonly config: EvaluationPasses['config'];
  /** Index slots (evaluations) one batch may stage; +∞ with the full batch. */
  readonly indexSlots: number;
  /** Rows of the next evaluation's batch (batchSize, an epoch's shorter last batch, or every training row). */
  rows: number;

  private readonly nn: NnKernels;
  private readonly buffers: GPUBuffer[] = [];
  private readonly layers: LayerLayout[];
  private readonly theta: GpuArray;
  private readonly gradient: GpuArray;
  private readonly trainX: GpuArray;
  private readonly trainY: GpuArray;
  private readonly batch: { X: GpuArray; y: GpuArray; indices: GPUBuffer } | null;
  private readonly training: Activations;
  private readonly validationActivations: Activations | null;
  private readonly validationData: { X: GpuArray; y: GpuArray; rows: number } | null;
  private readonly kernels: {
    parameters: Kernel;
    gather: Kernel;
    sums: Kernel;
    validation: Kernel;
  };
  private readonly shared: (kernel: Kernel) => GPUBindGroup;
  private readonly plans = new Map<number, Pass[]>();
  private validationPlan: Pass[] | null = null;
  private readonly parametersGroups: GPUBindGroup[];

  constructor(
    private readonly model: DeviceModel,
    private readonly run: RunBuffers,
  ) {
    const { context } = run;
    this.nn = new NnKernels(context);
    this.layers = layerLayouts(model.sizes);
    const { training, validation } = model.data;
    const features = model.sizes[0];
    const widest = Math.max(...model.sizes);
    const largest = Math.max(training.rows, validation.rows) * Math.max(features, widest) * 4;
    if (largest > context.maxBindingBytes) {
      throw new RangeError(
        `the model's data or activations (${largest} bytes in one array) exceed the device's buffer limit (${context.maxBindingBytes} bytes)`,
      );
    }
    this.theta = this.array(run.dim);
    this.gradient = { buffer: run.gradient, length: run.dim };
    this.trainX = this.array(training.rows * features, training.X);
    this.trainY = this.array(training.rows, training.y);
    const miniBatch = model.batchSize < training.rows;
    this.rows = miniBatch ? model.batchSize : training.rows;
    this.indexSlots = miniBatch
      ? Math.max(2, Math.floor(INDEX_BUDGET / model.batchSize))
      : Number.POSITIVE_INFINITY;
    if (miniBatch) {
      const slots = Math.min(this.indexSlots, 4096);
      const indices = context.device.createBuffer({
        label: 'batch rows',
        size: slots * model.batchSize * 4,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
      });
      this.buffers.push(indices);
      this.batch = {
        X: this.array(model.batchSize * features),
        y: this.array(model.batchSize),
        indices,
      };
    } else {
      this.batch = null;
    }
    const trainingRows = miniBatch ? model.batchSize : training.rows;
    this.training = this.activations(trainingRows, true);
    if (validation.rows > 0) {
      this.validationData = {
        X: this.array(validation.rows * features, validation.X),
        y: this.array(validation.rows, validation.y),
        rows: validation.rows,
      };
      this.validationActivations = this.activations(validation.rows, false);
    } else {
      this.validationData = null;
      this.validationActivations = null;
    }
    this.partialCount = workgroupsFor(Math.max(run.dim, trainingRows), context.workgroupCaps.reduction);
    this.partials = context.storage(this.partialCount * 16, 'partials');
    this.buffers.push(this.partials);
    this.config = { p0: model.l2 };

    const common: ['dynamic-uniform', 'uniform', 'read'] = ['dynamic-uniform', 'uniform', 'read'];
    this.kernels = {
      parameters: context.kernel('model parameters', parametersShader(), [common, ['read', 'storage']]),
      gather: context.kernel('model gather', gatherShader(), [
        common,
        ['uniform', 'read', 'read', 'read', 'storage', 'storage'],
      ]),
      sums: context.kernel('model sums', modelSumsShader(this.layers), [
        common,
        ['uniform', 'read', 'storage', 'read', 'storage'],
      ]),
      validation: context.kernel('model validation', validationShader(), [
        common,
        ['uniform', 'read', 'read', 'storage'],
      ]),
    };
    this.shared = (kernel) =>
      context.bindGroup(kernel, 0, [run.params, run.config, run.state], [PARAMS.byteLength]);
    this.parametersGroups = [
      this.shared(this.kernels.parameters),
      context.bindGroup(this.kernels.parameters, 1, [run.iterates, this.theta.buffer]),
    ];
  }

  /** Uploads the staged row indices of `slots` evaluations (host arena, slot-major). */
  uploadRows(arena: Uint32Array, slots: number): void {
    if (this.batch === null || slots === 0) return;
    const length = slots * this.model.batchSize;
    this.run.context.device.queue.writeBuffer(
      this.batch.indices,
      0,
      arena.buffer,
      arena.byteOffset,
      length * 4,
    );
  }

  encode(pass: GPUComputePassEncoder, offset: number): void {
    let plan = this.plans.get(this.rows);
    if (plan === undefined) {
      plan = this.trainingPlan(this.rows);
      this.plans.set(this.rows, plan);
    }
    for (const step of plan) step(pass, offset);
  }

  /** The validation passes (forward over the validation rows, reduced into the ring slot). */
  encodeValidation(pass: GPUComputePassEncoder, offset: number): void {
    this.validationPlan ??= this.buildValidationPlan();
    for (const step of this.validationPlan) step(pass, offset);
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
  }

  private trainingPlan(rows: number): Pass[] {
    const { context } = this.run;
    const features = this.model.sizes[0];
    const steps: Pass[] = [];
    let X = this.trainX;
    let y = this.trainY;
    if (this.batch !== null) {
      const { batch } = this;
      X = batch.X;
      y = batch.y;
      const dims = this.uniform([rows, features, this.model.batchSize, 0]);
      const groups = [
        this.shared(this.kernels.gather),
        context.bindGroup(this.kernels.gather, 1, [
          dims,
          batch.indices,
          this.trainX.buffer,
          this.trainY.buffer,
          batch.X.buffer,
          batch.y.buffer,
        ]),
      ];
      const workgroups = workgroupsFor(rows * features, context.workgroupCaps.elementwise);
      steps.push((pass, offset) => dispatchStep(pass, this.kernels.gather, groups, offset, workgroups));
    }
    steps.push(this.parametersPass());
    const acts = this.training;
    const ops = this.forward(X, rows, acts);
    const last = this.layers.length - 1;
    ops.push(
      this.nn.lossHead({
        head: this.model.head,
        logits: view(acts.z[last], rows * this.layers[last].outputs),
        labels: y,
        rows,
        outputs: this.layers[last].outputs,
        loss: view(acts.loss, rows),
        gradient: view(acts.delta[last], rows * this.layers[last].outputs),
      }),
    );
    for (let l = last; l >= 0; l--) {
      const { inputs, outputs, weightOffset, biasOffset } = this.layers[l];
      const delta = view(acts.delta[l], rows * outputs);
      const input = l === 0 ? X : view(acts.a[l - 1], rows * inputs);
      ops.push(
        this.nn.matmul({
          a: delta,
          b: input,
          c: this.gradient,
          m: outputs,
          n: inputs,
          k: rows,
          transposeA: true,
          cOffset: weightOffset,
        }),
        this.nn.columnSums(delta, outputs, this.gradient, { rows, offset: biasOffset }),
      );
      if (l === 0) break;
      const upstream = view(acts.delta[l - 1], rows * inputs);
      ops.push(
        this.nn.matmul({
          a: delta,
          b: this.theta,
          c: upstream,
          m: rows,
          n: inputs,
          k: outputs,
          bOffset: weightOffset,
        }),
        this.nn.activationBackward(this.activation(), view(acts.a[l - 1], rows * inputs), upstream),
      );
    }
    steps.push(opsPass(ops));
    const sumsGroups = [
      this.shared(this.kernels.sums),
      context.bindGroup(this.kernels.sums, 1, [
        this.uniform([rows, 0, 0, 0]),
        this.theta.buffer,
        this.run.gradient,
        acts.loss.buffer,
        this.partials,
      ]),
    ];
    steps.push((pass, offset) =>
      dispatchStep(pass, this.kernels.sums, sumsGroups, offset, this.partialCount),
    );
    return steps;
  }

  private buildValidationPlan(): Pass[] {
    const data = this.validationData;
    const acts = this.validationActivations;
    if (data === null || acts === null) throw new Error('the model has no validation rows');
    const rows = data.rows;
    const last = this.layers.length - 1;
    const outputs = this.layers[last].outputs;
    const correct = this.array(rows);
    const ops = this.forward(data.X, rows, acts);
    ops.push(
      this.nn.lossHead({
        head: this.model.head,
        logits: acts.z[last],
        labels: data.y,
        rows,
        outputs,
        loss: acts.loss,
        correct,
      }),
    );
    const groups = [
      this.shared(this.kernels.validation),
      this.run.context.bindGroup(this.kernels.validation, 1, [
        this.uniform([rows, 0, 0, 0]),
        acts.loss.buffer,
        correct.buffer,
        this.run.ring,
      ]),
    ];
    return [
      this.parametersPass(),
      opsPass(ops),
      (pass, offset) => dispatchStep(pass, this.kernels.validation, groups, offset, 1),
    ];
  }

  /** θ from the evaluation's iterate region (MODE: a step's new iterate, the current one, or the previous). */
  private parametersPass(): Pass {
    const workgroups = workgroupsFor(this.run.dim, this.run.context.workgroupCaps.elementwise);
    return (pass, offset) =>
      dispatchStep(pass, this.kernels.parameters, this.parametersGroups, offset, workgroups);
  }

  /** Zₗ = Aₗ₋₁·Wₗᵀ + bₗ, Aₗ = act(Zₗ) for the hidden layers; the output layer's Z stays linear. */
  private forward(X: GpuArray, rows: number, acts: Activations): EncodableOp[] {
    const ops: EncodableOp[] = [];
    let input = X;
    const last = this.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { inputs, outputs, weightOffset, biasOffset } = this.layers[l];
      const z = view(acts.z[l], rows * outputs);
      ops.push(
        this.nn.matmul({
          a: input,
          b: this.theta,
          c: z,
          m: rows,
          n: outputs,
          k: inputs,
          transposeB: true,
          bOffset: weightOffset,
        }),
        this.nn.addBias(z, this.theta, { offset: biasOffset, cols: outputs }),
      );
      if (l < last) {
        const a = view(acts.a[l], rows * outputs);
        ops.push(this.nn.activation(this.activation(), z, a));
        input = a;
      }
    }
    return ops;
  }

  private activation() {
    return this.model.activation;
  }

  /** Per layer Z (and A for hidden layers, δ with `backward`) for `rows` rows, and the per-row loss. */
  private activations(rows: number, backward: boolean): Activations {
    const last = this.layers.length - 1;
    return {
      z: this.layers.map(({ outputs }) => this.array(rows * outputs)),
      a: this.layers.slice(0, last).map(({ outputs }) => this.array(rows * outputs)),
      delta: backward ? this.layers.map(({ outputs }) => this.array(rows * outputs)) : [],
      loss: this.array(rows),
    };
  }

  private array(length: number, values?: ArrayLike<number>): GpuArray {
    const array = this.nn.array(length, values);
    this.buffers.push(array.buffer);
    return array;
  }

  private uniform(values: number[]): GPUBuffer {
    const buffer = this.run.context.uniform(values.length * 4, 'model dims');
    this.run.context.device.queue.writeBuffer(buffer, 0, new Uint32Array(values));
    this.buffers.push(buffer);
    return buffer;
  }
}

/** Per layer: Z, A (hidden layers), δ; and the per-row loss. */
interface Activations {
  z: GpuArray[];
  a: GpuArray[];
  delta: GpuArray[];
  loss: GpuArray;
}

/** The first `length` elements of an array (ops size their dispatch and checks from it). */
function view(array: GpuArray, length: number): GpuArray {
  return { buffer: array.buffer, length };
}

function opsPass(ops: EncodableOp[]): Pass {
  return (pass) => {
    for (const op of ops) op.encode(pass);
  };
}
