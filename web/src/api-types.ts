/**
 * The resources the page reads and sends, typed from the API's own zod schemas (`import type`:
 * erased from the bundle), so the page and the API cannot drift apart.
 */
import type { z } from 'zod';
import type { objectiveCatalogEntrySchema, optimizerCatalogEntrySchema } from '../../src/schemas/catalog.ts';
import type {
  Comparison,
  comparisonListSchema,
  RankingEntry,
} from '../../src/schemas/comparison-resource.ts';
import type { evaluateGridResponseSchema, evaluateResponseSchema } from '../../src/schemas/evaluate.ts';
import type {
  jobListSchema,
  jobSchema,
  jobStatusSchema,
  resultSchema,
  trajectoryPointSchema,
} from '../../src/schemas/job.ts';
import type { JobSpecInput } from '../../src/schemas/job-spec.ts';
import type { Problem } from '../../src/schemas/problem.ts';
import type { ScheduleInput } from '../../src/schemas/schedule.ts';

export type Job = z.output<typeof jobSchema>;
export type JobStatus = z.output<typeof jobStatusSchema>;
export type JobList = z.output<typeof jobListSchema>;
export type Result = z.output<typeof resultSchema>;
export type TrajectoryPoint = z.output<typeof trajectoryPointSchema>;
export type ObjectiveCatalogEntry = z.output<typeof objectiveCatalogEntrySchema>;
export type OptimizerCatalogEntry = z.output<typeof optimizerCatalogEntrySchema>;
export type Evaluation = z.output<typeof evaluateResponseSchema>;
export type GridEvaluation = z.output<typeof evaluateGridResponseSchema>;
export type { Problem, ScheduleInput };

export type ObjectiveInput = JobSpecInput['objective'];
export type ModelObjectiveInput = Extract<ObjectiveInput, { type: 'model' }>;
export type OptimizerInput = JobSpecInput['optimizer'];

/** A job spec as the page sends it (model objectives included). */
export type RunSpecInput = JobSpecInput;

/** Result.validation (model objectives). */
export type Validation = NonNullable<Result['validation']>;

export type RankingRow = RankingEntry;
export type ComparisonStatus = Comparison['status'];
export type ComparisonList = z.output<typeof comparisonListSchema>;
export type { Comparison };

/** POST /v1/comparisons: listed runs or an lr sweep. */
export type ComparisonInput = Omit<RunSpecInput, 'optimizer' | 'schedule' | 'label'> & {
  label?: string;
} & (
    | { runs: { optimizer: OptimizerInput; schedule?: ScheduleInput; label?: string }[] }
    | { sweep: { optimizer: OptimizerInput; schedule?: ScheduleInput; param: 'lr'; values: number[] } }
  );

export interface Dataset {
  id: string;
  rows: number;
  features: number;
  classes?: number;
}

export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
