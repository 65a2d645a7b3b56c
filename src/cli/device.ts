import { ConfigError, gpuAutoRule } from '../config.ts';
import { autoWantsDevice, chooseDevice } from '../core/backends/device-choice.ts';
import { deviceUnsupportedReason } from '../core/backends/device-problem.ts';
import { runOnDeviceToCompletion } from '../core/backends/gpu-run.ts';
import { WebGpuBackend } from '../core/backends/webgpu/webgpu-backend.ts';
import type { Dataset } from '../core/data/dataset.ts';
import { type RunOutput, runToCompletion } from '../core/run.ts';
import type { JobSpec } from '../core/spec.ts';
import { acquireGpuDevice, describeVulkanSetup, NO_ADAPTER_HINT } from '../gpu/device.ts';
import { ExitError, inputProblem } from './spec.ts';

/**
 * Where `descent run` runs a spec (with a model's data set, built-in or inline), on this machine:
 *
 * - `cpu`: the CPU core.
 * - `gpu`: the first adapter Dawn finds (a software one such as llvmpipe included: it was asked
 *   for). No adapter: exit 2 with a problem naming `device`, rather than a float64 CPU run the
 *   spec did not ask for (the API instead keeps such a job queued until a GPU worker takes it).
 * - `auto`: core backends/device-choice.ts with GPU_AUTO_MIN_DIM, GPU_AUTO_MIN_MODEL_WORK and GPU_AUTO_SOFTWARE from the
 *   environment: the GPU when the spec is large enough and the adapter is hardware, else the
 *   CPU. Dawn is loaded only for a spec that could use it.
 */
export async function runWhereAsked(
  spec: JobSpec,
  env: NodeJS.ProcessEnv = process.env,
  dataset?: Dataset,
): Promise<RunOutput> {
  const onCpu = () => runToCompletion(spec, { dataset });
  if (spec.device === 'cpu') return onCpu();
  let rule: ReturnType<typeof gpuAutoRule>;
  try {
    rule = gpuAutoRule(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ExitError(`descent: ${error.message}`, 2);
    throw error;
  }
  if (spec.device === 'auto' && !autoWantsDevice(spec, rule)) return onCpu();
  const acquired = await acquireGpuDevice().catch(() => null);
  if (acquired === null) {
    if (spec.device === 'gpu') throw noDevice(`${NO_ADAPTER_HINT} Found: ${describeVulkanSetup()}.`);
    return onCpu();
  }
  try {
    if (chooseDevice(spec, acquired, rule) !== 'gpu') return onCpu();
    const backend = new WebGpuBackend(acquired.device, acquired.adapter, { software: acquired.software });
    const reason = deviceUnsupportedReason(spec, backend);
    if (reason !== null) {
      if (spec.device === 'gpu') throw noDevice(`this machine's adapter (${acquired.adapter}): ${reason}`);
      return onCpu();
    }
    return await runOnDeviceToCompletion(backend, spec, { dataset });
  } finally {
    acquired.device.destroy();
  }
}

function noDevice(why: string): ExitError {
  const message = `"gpu" cannot run here: ${why}`;
  return inputProblem('No GPU for device "gpu"', message, [{ path: 'device', message }]);
}
