import type { ComputeBackend, DeviceInfo, DeviceModelProblem, DeviceProblem } from '../compute-backend.ts';
import { builtinEvaluation } from './builtin-evaluation.ts';
import { GpuContext, HARDWARE_WORKGROUPS, SOFTWARE_WORKGROUPS } from './gpu-context.ts';
import { WebGpuModelProgram } from './webgpu-model-program.ts';
import { WebGpuRunProgram } from './webgpu-run-program.ts';

/**
 * The WebGPU {@link ComputeBackend}: WGSL compute kernels on a GPUDevice the host acquired
 * (src/gpu/device.ts in Node, navigator.gpu in a browser). Pipelines are compiled once per
 * device and shared by every run on it.
 */
export class WebGpuBackend implements ComputeBackend {
  readonly context: GpuContext;

  /** `software`: the adapter is a CPU rasterizer (llvmpipe), which wants fewer, larger workgroups. */
  constructor(device: GPUDevice, adapter: string, options: { software?: boolean } = {}) {
    this.context = new GpuContext(
      device,
      adapter,
      options.software ? SOFTWARE_WORKGROUPS : HARDWARE_WORKGROUPS,
    );
  }

  get info(): DeviceInfo {
    return this.context.info;
  }

  /** The iterates take three regions of one buffer (run-layout.ts), so one binding must hold 3·n floats. */
  maxRunDim(): number {
    return Math.floor(this.context.maxBindingBytes / 12);
  }

  createRunProgram(problem: DeviceProblem): WebGpuRunProgram {
    return new WebGpuRunProgram(this.context, { ...problem, dim: problem.objective.dim }, (run) =>
      builtinEvaluation(problem.objective, run),
    );
  }

  createModelProgram(problem: DeviceModelProblem): WebGpuModelProgram {
    return new WebGpuModelProgram(this.context, problem);
  }
}
