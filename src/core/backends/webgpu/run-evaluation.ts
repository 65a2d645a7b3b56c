import type { GpuContext, Kernel } from './gpu-context.ts';
import type { ObjectiveKernel } from './objective-kernels.ts';
import type { CONFIG } from './run-layout.ts';

/**
 * The objective's part of a run iteration on a WebGPU device (see WebGpuRunProgram): the passes
 * that evaluate f and ∇f at the evaluation's iterate, between the fused update and the finalize
 * pass. They read the iterate region the run state names (run-shaders.ts `evaluationRegion`),
 * write ∇f into the run's gradient buffer and leave workgroup partials (Σ f's terms, Σ gᵢ², the
 * count of non-finite xᵢ and gᵢ, 0) that the shared finalize pass reduces and applies the stop
 * rules to. A builtin's passes are builtin-evaluation.ts, a model's model-evaluation.ts.
 */
export interface EvaluationPasses {
  /** The workgroup partials (vec4 each) the finalize pass reduces. */
  readonly partials: GPUBuffer;
  readonly partialCount: number;
  /** For finalizeShader: f from `total` (WGSL), and whether a first pass left sums in the state (Ackley). */
  readonly finalize: Pick<ObjectiveKernel, 'value' | 'sums'>;
  /** The objective's constants in the run's config (p0 … p3). */
  readonly config: Partial<Record<(typeof CONFIG.fields)[number][0], number>>;
  /** Encodes the passes for the step params at dynamic offset `offset`. */
  encode(pass: GPUComputePassEncoder, offset: number): void;
  destroy(): void;
}

/** The run's buffers an evaluation binds (group 0 of a run kernel is params, config, state). */
export interface RunBuffers {
  context: GpuContext;
  dim: number;
  /** Three regions of `dim` floats (run-layout.ts STATE). */
  iterates: GPUBuffer;
  gradient: GPUBuffer;
  params: GPUBuffer;
  config: GPUBuffer;
  state: GPUBuffer;
  /** Per-evaluation stats, one vec4 slot each (params.slot). */
  ring: GPUBuffer;
}

/** Dispatches a run kernel: group 0 at the step's dynamic offset, group 1 its arrays. */
export function dispatchStep(
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  groups: GPUBindGroup[],
  offset: number,
  workgroups: number,
): void {
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, groups[0], [offset]);
  for (let index = 1; index < groups.length; index++) pass.setBindGroup(index, groups[index]);
  pass.dispatchWorkgroups(workgroups);
}
