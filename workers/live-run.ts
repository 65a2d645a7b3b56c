import type { Dataset } from '../src/core/data/dataset.ts';
import type { RunCheckpoint } from '../src/core/run.ts';
import type { JobSpec } from '../src/core/spec.ts';
import type { Result, TrajectoryPoint } from '../src/core/types.ts';

/**
 * What a job's life (workers/job-life.ts) drives: the CPU core's Run, whose methods answer at once,
 * or a device's GpuRun (src/core/backends/gpu-run.ts), whose answers come back from the device as
 * promises. JobLife awaits every answer, so one loop drives both.
 */
export interface LiveRun {
  readonly done: boolean;
  readonly iteration: number;
  /** Steps for about `sliceMs`; resolves to `done`. */
  advance(sliceMs: number): boolean | Promise<boolean>;
  takePoints(): TrajectoryPoint[];
  progress(): { iteration: number; f: number; gradNorm: number };
  cancel(): void;
  checkpoint(): RunCheckpoint | Promise<RunCheckpoint>;
  result(inlineMaxDim?: number): Result | Promise<Result>;
  finalX(): Float64Array | Promise<Float64Array>;
  bestParams(): Float64Array | Promise<Float64Array>;
  /** Frees what the run holds outside the JS heap (a device run's buffers). */
  destroy?(): void;
}

/** Builds a job's run from its spec (and a model's data set), continuing from `checkpoint` when given. */
export type CreateRun = (
  spec: JobSpec,
  checkpoint: RunCheckpoint | undefined,
  dataset: Dataset | undefined,
) => LiveRun | Promise<LiveRun>;
