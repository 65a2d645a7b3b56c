/**
 * The resources the page reads and sends, typed from the API's own zod schemas (`import type`:
 * erased from the bundle). What is not on main yet, comparisons (#13) and model objectives
 * (#12), is typed here from their contract (/work/brief-comparisons.md, API.md), to be replaced
 * by their schemas' types when they land.
 */
import type { z } from 'zod';
import type { objectiveCatalogEntrySchema, optimizerCatalogEntrySchema } from '../../src/schemas/catalog.ts';
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

/** A model objective (API.md "Objective", `type: "model"`). */
export interface ModelObjectiveInput {
  type: 'model';
  model: string;
  data: { builtin: string; samples?: number; noise?: number } | { datasetId: string };
  hidden?: number[];
  activation?: string;
  l2?: number;
  batchSize?: number;
  validationFraction?: number;
  standardize?: boolean;
}

export type ObjectiveInput = JobSpecInput['objective'] | ModelObjectiveInput;
export type OptimizerInput = JobSpecInput['optimizer'];

/** A job spec as the page sends it (model objectives included). */
export type RunSpecInput = Omit<JobSpecInput, 'objective'> & { objective: ObjectiveInput };

/** Result.validation (model objectives). */
export interface Validation {
  loss: number;
  accuracy: number | null;
  bestIteration: number;
}

export interface RankingRow {
  rank: number;
  jobId: string;
  label: string;
  optimizer: string;
  param?: { name: string; value: number };
  stopReason: string;
  converged: boolean;
  f: number;
  bestF: number;
  gap: number | null;
  iterations: number;
  wallMs: number;
  reason: string | null;
}

export type ComparisonStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface Comparison {
  id: string;
  status: ComparisonStatus;
  label: string | null;
  spec: {
    objective: ObjectiveInput;
    runs: { optimizer: OptimizerInput; schedule?: unknown; label: string }[];
    sweep: { optimizer: OptimizerInput; param: string; values: number[] } | null;
    [field: string]: unknown;
  };
  jobs: Job[];
  ranking: RankingRow[];
  createdAt: string;
  finishedAt: string | null;
}

export interface ComparisonList {
  items: Comparison[];
  nextCursor: string | null;
}

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
