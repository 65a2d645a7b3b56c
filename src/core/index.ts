/**
 * The core's public entry: what the CLI, the API, the workers and the browser (the dashboard)
 * use. Pure TypeScript; `test/core/browser-bundle.test.ts` bundles it for a browser with esbuild
 * and runs a job from the bundle.
 */
export * from './backends/index.ts';
export { builtins } from './objectives/builtins/index.ts';
export { createObjective } from './objectives/index.ts';
export {
  CPU_DEVICE,
  Run,
  type RunCheckpoint,
  type RunOptions,
  type RunOutput,
  runToCompletion,
} from './run.ts';
export * from './spec.ts';
export type * from './types.ts';
