import { type AutoDeviceRule, chooseDevice } from '../src/core/backends/device-choice.ts';
import { deviceUnsupportedReason } from '../src/core/backends/device-problem.ts';
import { GpuRun } from '../src/core/backends/gpu-run.ts';
import { FINISHED_STATUSES } from '../src/store/contract.ts';
import type { WorkerGpu } from './devices.ts';
import { JobLife, type JobOutcome, type LifeContext } from './job-life.ts';
import type { OptimizationJob } from './processor.ts';

/**
 * The GPU queue's jobs on a GPU worker (the processor's `onDevice`): a job that belongs on the
 * device is run there by a JobLife whose run is a GpuRun, on the worker's main thread.
 *
 * Which jobs: chooseDevice (core backends/device-choice.ts) with this worker's adapter: every
 * `gpu` job, and an `auto` job when its size pays and the adapter is one `auto` accepts (a
 * software adapter only with GPU_AUTO_SOFTWARE); any other job in the GPU queue (an `auto` job
 * routed here for another worker's adapter) runs on the CPU path. A `gpu` job larger than this
 * device holds fails with the reason (it cannot happen under the default MAX_DIM).
 *
 * Why the main thread: a GPU run is a loop of submissions and read-backs, each awaited, and the
 * host's own work per batch is small (batches of ~20 ms on the device, one read-back of the
 * per-iteration scalars and the recorded iterates). Dawn's Node binding completes device work by
 * polling (setImmediate → ProcessEvents) while anything is pending, so on a hardware adapter the
 * event loop runs lock renewal, cancels and heartbeats between polls while the GPU computes.
 * A thread would need a Dawn instance and device of its own for that, and the binding a
 * worker-thread load, for no gain.
 *
 * On a software adapter the device's work runs inside that polling, on this thread: llvmpipe
 * executes each submitted batch there, so the event loop waits for it (measured on 2 loaded
 * cores: batches of 20-100 ms, loop delays up to ~200 ms). Lock renewal still holds: the
 * SIGKILL test in test/workers/gpu-workers.test.ts runs with a 1 s lock (renewed every 250-500
 * ms) and sees no stall of the surviving run; a cancel lands after the batch in flight (from the
 * API's answer to the status seen by polling, through the API on llvmpipe in test/api/gpu.test.ts:
 * 41-48 ms with the two cores lightly loaded, 128 ms with a load average of 8). Software adapters
 * serve tests and development (`auto` never picks one).
 *
 * The GpuRun reads the job's stored checkpoint as any run does: a GPU checkpoint, or a CPU one
 * (a job that ran on the CPU path before), rounded to float32.
 *
 * A model job's data set comes from `datasets` (a DatasetCache of the main thread's own, with a
 * run thread's share of DATASET_CACHE_BYTES): the same resolution as a run thread's (a stored
 * data set by id, a built-in made from the seed, inline rows), so the device run trains on the
 * rows the CPU run would.
 */
export function deviceJobs(
  gpu: WorkerGpu,
  rule: AutoDeviceRule,
  context: LifeContext,
  datasets: NonNullable<LifeContext['datasets']>,
): (job: OptimizationJob, signal?: AbortSignal) => Promise<JobOutcome | null> {
  const deviceContext: LifeContext = {
    ...context,
    datasets,
    createRun: (spec, checkpoint, dataset) => GpuRun.create(gpu.backend, spec, { checkpoint, dataset }),
  };
  return async (job, signal) => {
    const jobId = job.data.jobId ?? job.id ?? '';
    let spec = job.data.spec;
    if (spec === undefined) {
      const record = await context.runs.get(jobId);
      // Gone or finished: the CPU path's life finds that out and skips it.
      if (record === null || FINISHED_STATUSES.has(record.status)) return null;
      spec = record.spec;
    }
    if (chooseDevice(spec, gpu.acquired, rule) !== 'gpu') return null;
    const reason = deviceUnsupportedReason(spec, gpu.backend);
    if (reason !== null)
      throw new Error(`this worker's GPU (${gpu.acquired.adapter}) cannot run the job: ${reason}`);
    return new JobLife(jobId, deviceContext, signal).run({ jobId });
  };
}
