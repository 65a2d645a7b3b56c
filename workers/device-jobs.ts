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
 * Why the main thread: a GPU run is a loop of submissions and read-backs, each awaited, so the
 * event loop runs between them (lock renewal, cancels, heartbeats); the host's own work per
 * batch is small (batches of ~20 ms on the device; one read-back of the per-iteration scalars
 * and the recorded iterates). Measured on llvmpipe, the worst event-loop delay during a run was
 * ~80 ms (that software device computes on the CPU); the lock is renewed every 2.5-5 s.
 * A thread would need its own Dawn instance and device per thread for nothing.
 *
 * The GpuRun reads the job's stored checkpoint as any run does: a GPU checkpoint, or a CPU one
 * (a job that ran on the CPU path before), rounded to float32.
 */
export function deviceJobs(
  gpu: WorkerGpu,
  rule: AutoDeviceRule,
  context: LifeContext,
): (job: OptimizationJob, signal?: AbortSignal) => Promise<JobOutcome | null> {
  const deviceContext: LifeContext = {
    ...context,
    createRun: (spec, checkpoint) => GpuRun.create(gpu.backend, spec, checkpoint ? { checkpoint } : {}),
  };
  return async (job, signal) => {
    const jobId = job.data.jobId ?? job.id ?? '';
    let spec = job.data.spec;
    if (spec === undefined) {
      const record = await context.jobs.get(jobId);
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
