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
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const loader = findLibrary('libvulkan.so.1');
  const icds = icdFiles();
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

/** The first of LD_LIBRARY_PATH's and the usual library directories that holds `name`, or undefined. */
function findLibrary(name: string): string | undefined {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter((dir) => dir !== ''),
    ...LIBRARY_DIRS,
  ];
  return dirs.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
}

/** The Vulkan driver manifests (ICD files) in the loader's usual directories. */
function icdFiles(): string[] {
  return ICD_DIRS.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => path.join(dir, name));
    } catch {
      return [];
    }
  });
}

/**
 * An NVIDIA host whose driver libraries are present without the driver's Vulkan manifest (as some
 * container setups mount them) would give Dawn no NVIDIA adapter. Then a manifest naming the
 * driver's Vulkan library is written to a temporary file and added for the Vulkan loader with
 * VK_ADD_DRIVER_FILES (loader 1.3.234 or later; it keeps the other drivers), before Dawn creates
 * its Vulkan instance. Nothing is done when the manifest exists, the device node is absent, the
 * driver list is set by hand (VK_ICD_FILENAMES, VK_DRIVER_FILES), or no NVIDIA library is found.
 */
function addMissingNvidiaManifest(): void {
  if (!existsSync('/dev/nvidiactl')) return;
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return;
  if (icdFiles().some((file) => path.basename(file).includes('nvidia'))) return;
  const library = ['libGLX_nvidia.so.0', 'libEGL_nvidia.so.0'].find(
    (name) => findLibrary(name) !== undefined,
  );
  if (library === undefined) return;
  const manifest = path.join(tmpdir(), `descent-nvidia-icd-${process.pid}.json`);
  writeFileSync(
    manifest,
    JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }),
  );
  process.env.VK_ADD_DRIVER_FILES = [process.env.VK_ADD_DRIVER_FILES, manifest].filter(Boolean).join(':');
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
    addMissingNvidiaManifest();
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
