/**
 * Acquires a WebGPU device in Node through `webgpu` (Dawn's binding; it ships its native
 * binary). Dawn picks a Vulkan adapter: the GPU's driver on a GPU host (in a container the
 * NVIDIA runtime must expose the `graphics` capability), or Mesa's llvmpipe on a CPU-only
 * machine once Debian's backports Mesa is installed (see .ci/run). Debian 12's own Mesa 22 gives
 * no adapter: then this returns null.
 *
 * The binding is loaded on the first call, not on import: a process that never asks for a GPU
 * never loads Dawn (nor fails on a platform the package ships no binary for).
 */

export interface AcquiredDevice {
  device: GPUDevice;
  /** The adapter, as Result.device.adapter reports it: e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  adapter: string;
  /** Whether the adapter is a software rasterizer (llvmpipe): correct, and slower than the CPU core (bench/gpu.ts). */
  software: boolean;
}

/** How to get an adapter where none was found, for error messages and test failures. */
export const NO_ADAPTER_HINT =
  'no WebGPU adapter found. On Debian 12 install the backports Mesa (Vulkan llvmpipe): add the ' +
  'suite bookworm-backports to /etc/apt/sources.list.d/ (same URI and Signed-By as debian.sources), ' +
  'then `apt-get install -t bookworm-backports mesa-vulkan-drivers` (.ci/run does both).';

/**
 * The Dawn instance, created once and kept for the life of the process: when the instance is
 * garbage-collected while a device it made is still in use, Dawn's worker threads crash the
 * process (futex errors, aborts).
 */
let instance: GPU | null = null;

/**
 * The adapter Dawn finds first (high-performance preference) and a device on it, with the
 * adapter's own limits for storage bindings and buffers (the defaults cap a binding at 128 MiB,
 * about 11 million parameters for a run). Null when there is no adapter.
 */
export async function acquireGpuDevice(): Promise<AcquiredDevice | null> {
  if (instance === null) {
    const { create, globals } = await import('webgpu');
    // GPUBufferUsage and friends, for code that expects the browser's globals.
    Object.assign(globalThis, globals);
    instance = create([]);
  }
  const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) return null;
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    },
  });
  return {
    device,
    adapter: describeAdapter(adapter.info),
    software: adapter.info.architecture === 'software',
  };
}

/** The adapter's description, or vendor and device when the driver gives none. */
export function describeAdapter(info: GPUAdapterInfo): string {
  if (info.description) return info.description;
  return [info.vendor, info.architecture, info.device].filter((part) => part).join(' ') || 'unknown adapter';
}
