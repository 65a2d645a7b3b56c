import type { WorkerDevices } from '../src/config.ts';
import { WebGpuBackend } from '../src/core/backends/webgpu/webgpu-backend.ts';
import {
  type AcquiredDevice,
  acquireGpuDevice,
  describeVulkanSetup,
  NO_ADAPTER_HINT,
} from '../src/gpu/device.ts';
import type { WorkerInfo } from '../src/store/workers.ts';

/**
 * What a worker process runs (WORKER_DEVICES), decided once at start:
 *
 *   cpu       the CPU queue; Dawn is never loaded
 *   gpu       the GPU queue; an adapter is required (a software one is accepted: it was asked for)
 *   cpu,gpu   both
 *   auto      cpu, plus gpu when Dawn finds a hardware adapter; a software adapter (llvmpipe) is
 *             let go, so a CPU host with Mesa installed never takes GPU jobs it would run slower
 *             than its CPU core
 *
 * The device is acquired once per process and kept for its life (src/gpu/device.ts explains why
 * the Dawn instance must live as long): GPU runs happen on the worker's main thread, each a
 * sequence of device submissions and read-backs it mostly waits on (workers/device-jobs.ts).
 */

/** A GPU worker's device: the acquisition and the backend that runs jobs on it. */
export interface WorkerGpu {
  acquired: AcquiredDevice;
  backend: WebGpuBackend;
}

export interface WorkerDeviceSetup {
  info: WorkerInfo;
  /** null unless the worker consumes the GPU queue. */
  gpu: WorkerGpu | null;
}

export class NoAdapterError extends Error {}

export async function setUpDevices(setting: WorkerDevices): Promise<WorkerDeviceSetup> {
  const cpuOnly: WorkerDeviceSetup = {
    info: { devices: ['cpu'], adapter: null, software: false },
    gpu: null,
  };
  if (setting !== 'auto' && !setting.includes('gpu')) return cpuOnly;
  let acquired: AcquiredDevice | null = null;
  try {
    acquired = await acquireGpuDevice();
  } catch (error) {
    // No binary for this platform, or a broken driver: as no adapter.
    if (setting !== 'auto') throw new NoAdapterError(`WORKER_DEVICES lists gpu, but Dawn failed: ${error}`);
  }
  if (setting === 'auto') {
    if (acquired === null) return cpuOnly;
    if (acquired.software) {
      acquired.device.destroy();
      return cpuOnly;
    }
  } else if (acquired === null) {
    throw new NoAdapterError(
      `WORKER_DEVICES=${setting.join(',')} lists gpu, but ${NO_ADAPTER_HINT} Found: ${describeVulkanSetup()}.`,
    );
  }
  const devices: ('cpu' | 'gpu')[] = setting === 'auto' ? ['cpu', 'gpu'] : setting;
  return {
    info: { devices, adapter: acquired.adapter, software: acquired.software },
    gpu: {
      acquired,
      backend: new WebGpuBackend(acquired.device, acquired.adapter, { software: acquired.software }),
    },
  };
}
