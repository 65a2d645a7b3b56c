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
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface AcquiredDevice {
  device: GPUDevice;
  /** The adapter, as Result.device.adapter reports it: e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  adapter: string;
  /** Whether the adapter is a software rasterizer (llvmpipe): correct, and slower than the CPU core (bench/gpu.ts). */
  software: boolean;
}

/** How to get an adapter where none was found, for error messages and test failures. */
export const NO_ADAPTER_HINT =
  'no WebGPU adapter found. Dawn runs on Vulkan: it needs the Vulkan loader (libvulkan.so.1, Debian ' +
  "package libvulkan1) and a Vulkan driver. On an NVIDIA host that is the driver's ICD (nvidia_icd.json " +
  'in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d; in a container, NVIDIA_DRIVER_CAPABILITIES must ' +
  'include graphics, see docker/worker-gpu.Dockerfile). On a CPU-only Debian 12 machine, the backports ' +
  "Mesa's llvmpipe: add the suite bookworm-backports to /etc/apt/sources.list.d/ (same URI and " +
  'Signed-By as debian.sources), then `apt-get install -t bookworm-backports mesa-vulkan-drivers` ' +
  '(.ci/run does both).';

const LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib',
];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * What this machine has of what Dawn needs, for the message when no adapter was found (the bench,
 * a GPU worker that cannot start, `descent run` with device gpu): the Vulkan loader, the Vulkan
 * drivers (ICD files, or the VK_ICD_FILENAMES / VK_DRIVER_FILES override), an NVIDIA device node.
 */
export function describeVulkanSetup(): string {
  const loader = LIBRARY_DIRS.map((dir) => path.join(dir, 'libvulkan.so.1')).find((file) => existsSync(file));
  const icds = ICD_DIRS.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => path.join(dir, name));
    } catch {
      return [];
    }
  });
  const override = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  const parts = [
    `Vulkan loader: ${loader ?? 'libvulkan.so.1 not found'}`,
    `Vulkan drivers: ${icds.length > 0 ? icds.join(', ') : 'no ICD file found'}${override ? ` (overridden: ${override})` : ''}`,
  ];
  if (existsSync('/dev/nvidiactl')) {
    parts.push(
      `NVIDIA device present; its Vulkan ICD ${icds.some((file) => file.includes('nvidia')) ? 'is listed' : 'is missing'}`,
    );
  }
  return parts.join('; ');
}

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
