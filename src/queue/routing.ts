import { type AutoDeviceRule, autoAcceptsAdapter, autoWantsDevice } from '../core/backends/device-choice.ts';
import type { JobSpec } from '../core/spec.ts';
import type { WorkerInfo } from '../store/workers.ts';
import { GPU_QUEUE_NAME, QUEUE_NAME } from './job-queue.ts';

/**
 * Which queue a job goes to: `descent-jobs`, which CPU workers consume, or `descent-jobs-gpu`,
 * which only GPU workers consume (WORKER_DEVICES).
 *
 * - `device: "cpu"`: the CPU queue.
 * - `device: "gpu"`: the GPU queue, always; with no GPU worker about it waits there, and
 *   GET /v1/jobs/{id} says so (`waitingFor`).
 * - `device: "auto"`: the GPU queue when auto wants a device for the spec (core
 *   backends/device-choice.ts: large enough (a builtin's dimension, a model's rows per batch ×
 *   parameters), a spec the GPU runs) and a GPU worker whose adapter
 *   auto accepts (hardware, unless GPU_AUTO_SOFTWARE) was seen within WORKER_SEEN_WITHIN_MS;
 *   otherwise the CPU queue. The worker that takes it applies the same rule to its own adapter
 *   (workers/device-jobs.ts). Once in the GPU queue, an auto job stays there: if its GPU workers
 *   go away it waits for one, as a gpu job does (not moved back to the CPU queue).
 */

export type QueueKind = 'cpu' | 'gpu';

export const QUEUE_NAMES: Record<QueueKind, string> = { cpu: QUEUE_NAME, gpu: GPU_QUEUE_NAME };

/** Whether a worker consumes the queue of `kind`. */
export function consumes(worker: WorkerInfo, kind: QueueKind): boolean {
  return worker.devices.includes(kind);
}

/**
 * The queue of a spec. `workers` (those seen recently) is called only for an `auto` spec that
 * wants a device, so small jobs cost no read of the worker registry.
 */
export async function routeJob(
  spec: JobSpec,
  rule: AutoDeviceRule,
  workers: () => Promise<readonly WorkerInfo[]>,
): Promise<QueueKind> {
  if (spec.device !== 'auto') return spec.device;
  if (!autoWantsDevice(spec, rule)) return 'cpu';
  const seen = await workers();
  return seen.some((worker) => consumes(worker, 'gpu') && autoAcceptsAdapter(worker, rule)) ? 'gpu' : 'cpu';
}

/**
 * What a queued job in `kind`'s queue waits for when no worker consuming it was seen within
 * `withinMs`; null when one was (it then waits only for a free slot).
 */
export function waitingFor(kind: QueueKind, workers: readonly WorkerInfo[], withinMs: number): string | null {
  if (workers.some((worker) => consumes(worker, kind))) return null;
  const seconds = Number((withinMs / 1000).toPrecision(3));
  return `${kind === 'gpu' ? 'a GPU worker' : 'a CPU worker'} (none seen in the last ${seconds} s)`;
}
