/**
 * The compute backends' public entry (re-exported by the core's entry): the backend-neutral
 * interface, which specs run on a device and where `auto` runs them, the device run, and the
 * WebGPU implementation with its dense-network kernels. Standard WebGPU on a GPUDevice the host
 * passes in; `test/core/backends/browser-bundle.test.ts` bundles it for a browser.
 */
export type {
  BatchReadback,
  ComputeBackend,
  DeviceInfo,
  DeviceObjectiveName,
  DeviceOptimizerSpec,
  DeviceProblem,
  DeviceRunState,
  EvaluationStats,
  RunProgram,
  StepInput,
} from './compute-backend.ts';
export { DEVICE_STOP } from './compute-backend.ts';
export {
  type AdapterKind,
  type AutoDeviceRule,
  autoAcceptsAdapter,
  autoWantsDevice,
  chooseDevice,
} from './device-choice.ts';
export { deviceProblem, deviceUnsupportedReason, optimizerRunsOnDevice } from './device-problem.ts';
export {
  BATCH_TARGET_MS,
  GpuRun,
  type GpuRunCheckpoint,
  type GpuRunOptions,
  runOnDeviceToCompletion,
} from './gpu-run.ts';
export { type Activation, type EncodableOp, type GpuArray, NnKernels } from './webgpu/nn-kernels.ts';
export { WebGpuBackend } from './webgpu/webgpu-backend.ts';
