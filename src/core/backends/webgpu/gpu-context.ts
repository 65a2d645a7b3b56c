import type { DeviceInfo } from '../compute-backend.ts';
import { BufferUsage, MAX_WORKGROUPS, MapMode, ShaderStage, WORKGROUP_SIZE } from './constants.ts';

/**
 * A GPUDevice with what every kernel needs: buffers, uploads, read-backs, and compute pipelines
 * compiled once per WGSL source. Standard WebGPU only, on a device the host passes in (the
 * browser's, or one from the `webgpu` package in Node: see src/gpu/device.ts), so the core still
 * bundles for a browser.
 *
 * The GPU* types are WebGPU's standard IDL types (@webgpu/types, ambient): this program gets them
 * through the `webgpu` package that src/gpu/device.ts loads; a browser build lists
 * "@webgpu/types" in its tsconfig `types`. Nothing here imports them at run time.
 *
 * Validation errors of the device (a WGSL compile error, a bad binding) surface asynchronously
 * in WebGPU; the context keeps the first one and `read` throws it, so a programming error fails
 * loudly at the next read-back instead of yielding zeros.
 */

/** How a kernel binds a buffer. */
export type BindingKind = 'uniform' | 'dynamic-uniform' | 'read' | 'storage';

/**
 * How many workgroups a grid-stride kernel may spread over. On a GPU, enough to fill it: 2,048
 * reduction workgroups and every element its own invocation (up to 65,535 workgroups). A
 * software adapter (llvmpipe) runs workgroups on a few CPU threads and pays about 0.1 ms to set
 * each one up (and a switch between invocations at every barrier): measured on llvmpipe, the
 * Adam update on 10,000,000 parameters took 226 ms with 1,024 workgroups and 57–94 ms with 32–64,
 * and a 1,000,000-parameter iteration 4× less time with 128 reduction workgroups than with 2,048.
 */
export interface WorkgroupCaps {
  /** Workgroups of a pass that leaves one partial sum per workgroup (a workgroup tree reduction). */
  reduction: number;
  /** Workgroups of a purely elementwise pass. */
  elementwise: number;
}

export const HARDWARE_WORKGROUPS: WorkgroupCaps = { reduction: 2048, elementwise: MAX_WORKGROUPS };
export const SOFTWARE_WORKGROUPS: WorkgroupCaps = { reduction: 64, elementwise: 64 };

export interface Kernel {
  pipeline: GPUComputePipeline;
  groups: GPUBindGroupLayout[];
}

export class GpuContext {
  readonly info: DeviceInfo;
  /** Largest buffer one binding may cover, in bytes (the device's maxStorageBufferBindingSize). */
  readonly maxBindingBytes: number;
  private readonly kernels = new Map<string, Kernel>();
  private deviceError: string | null = null;

  constructor(
    readonly device: GPUDevice,
    adapter: string,
    readonly workgroupCaps: WorkgroupCaps = HARDWARE_WORKGROUPS,
  ) {
    this.info = { kind: 'gpu', precision: 'float32', adapter };
    this.maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    device.addEventListener('uncapturederror', (event) => {
      this.deviceError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** A zero-filled storage buffer of `byteLength` bytes (at least 4), copyable both ways. */
  storage(byteLength: number, label: string): GPUBuffer {
    return this.device.createBuffer({
      label,
      size: alignTo(Math.max(4, byteLength), 4),
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
  }

  uniform(byteLength: number, label: string): GPUBuffer {
    return this.device.createBuffer({
      label,
      size: alignTo(Math.max(16, byteLength), 16),
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
  }

  /** Writes float32 values (rounded from whatever `values` holds) at element `offset`. */
  writeFloats(buffer: GPUBuffer, values: ArrayLike<number>, offset = 0): void {
    // Chunked: a 10,000,000-dim upload would otherwise need a second 40 MB copy at once.
    const chunk = 1 << 20;
    const scratch = values instanceof Float32Array ? null : new Float32Array(Math.min(chunk, values.length));
    for (let start = 0; start < values.length; start += chunk) {
      const end = Math.min(values.length, start + chunk);
      let part: Float32Array;
      if (scratch === null) part = (values as Float32Array).subarray(start, end);
      else {
        part = scratch.subarray(0, end - start);
        for (let k = start; k < end; k++) part[k - start] = values[k];
      }
      this.device.queue.writeBuffer(
        buffer,
        (offset + start) * 4,
        part.buffer,
        part.byteOffset,
        part.byteLength,
      );
    }
  }

  /** Submits everything queued, then copies `byteLength` bytes from `source` at `offset` back. */
  async read(source: GPUBuffer, offset: number, byteLength: number): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({
      size: alignTo(Math.max(4, byteLength), 4),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, offset, staging, 0, alignTo(byteLength, 4));
    this.device.queue.submit([encoder.finish()]);
    try {
      return await this.mapped(staging, byteLength);
    } finally {
      staging.destroy();
    }
  }

  async readFloats(source: GPUBuffer, offset: number, length: number): Promise<Float32Array> {
    return new Float32Array(await this.read(source, offset * 4, length * 4));
  }

  /** Maps a MAP_READ buffer (after the work that fills it is submitted) and copies its first bytes out. */
  async mapped(staging: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
    await staging.mapAsync(MapMode.READ, 0, alignTo(Math.max(4, byteLength), 4));
    const copy = staging.getMappedRange(0, alignTo(Math.max(4, byteLength), 4)).slice(0, byteLength);
    staging.unmap();
    this.throwDeviceError();
    return copy;
  }

  /** Throws the first validation error the device reported, if any. */
  throwDeviceError(): void {
    if (this.deviceError !== null) throw new Error(`WebGPU: ${this.deviceError}`);
  }

  /**
   * The compute pipeline of `code` (entry point `main`) with explicit bind group layouts, one
   * list of binding kinds per group; compiled once per (code, layout) and cached.
   */
  kernel(label: string, code: string, groups: BindingKind[][]): Kernel {
    const key = `${JSON.stringify(groups)}\n${code}`;
    const cached = this.kernels.get(key);
    if (cached) return cached;
    const layouts = groups.map((kinds) =>
      this.device.createBindGroupLayout({
        label,
        entries: kinds.map((kind, binding) => ({
          binding,
          visibility: ShaderStage.COMPUTE,
          buffer:
            kind === 'uniform' || kind === 'dynamic-uniform'
              ? { type: 'uniform', hasDynamicOffset: kind === 'dynamic-uniform' }
              : { type: kind === 'read' ? 'read-only-storage' : 'storage' },
        })),
      }),
    );
    const module = this.device.createShaderModule({ label, code });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: layouts }),
      compute: { module, entryPoint: 'main' },
    });
    const kernel = { pipeline, groups: layouts };
    this.kernels.set(key, kernel);
    return kernel;
  }

  /** A bind group for group `index` of `kernel`; `sizes` bounds a binding (dynamic uniforms need it). */
  bindGroup(
    kernel: Kernel,
    index: number,
    buffers: GPUBuffer[],
    sizes: (number | undefined)[] = [],
  ): GPUBindGroup {
    return this.device.createBindGroup({
      layout: kernel.groups[index],
      entries: buffers.map((buffer, binding) => ({
        binding,
        resource: sizes[binding] === undefined ? { buffer } : { buffer, size: sizes[binding] },
      })),
    });
  }
}

/** Workgroups for a grid-stride kernel over `length` elements: one element per invocation, capped. */
export function workgroupsFor(length: number, cap = MAX_WORKGROUPS): number {
  return Math.max(1, Math.min(cap, Math.ceil(length / WORKGROUP_SIZE)));
}

export function alignTo(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
