import { z } from 'zod';
import type { DeviceInfo, Diagnostics, StopReason, ValidationSummary } from '../core/types.ts';
import type { Agrees, Assert } from './agrees.ts';
import { jobSpecSchema } from './job-spec.ts';
import { named } from './openapi-registry.ts';
import { optimizerSchema } from './optimizer.ts';
import { JOB_SPEC_EXAMPLES } from './request-examples.ts';
import { webhookStateSchema } from './webhook-resource.ts';

/**
 * The job resources of API.md ("Job", "Result", "Trajectory point") and the parameters of the
 * /v1/jobs routes: one zod schema each, for validation, the TypeScript types and the OpenAPI
 * document at once.
 */

named(optimizerSchema, 'Optimizer', 'An optimizer and its hyperparameters, discriminated by `name`.');
export const jobSpecDocumentSchema = named(
  jobSpecSchema,
  'JobSpec',
  'A job spec. In responses it is normalised: every default filled in and the seed resolved.',
  JOB_SPEC_EXAMPLES,
);

export const jobStatusSchema = named(
  z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  'JobStatus',
  'queued → running → completed | failed | cancelled (a queued job may be cancelled at once).',
);

export const stopReasonSchema = named(
  z.enum([
    'grad_tol',
    'f_tol',
    'target_value',
    'max_iterations',
    'time_limit',
    'diverged',
    'cancelled',
    'early_stopped',
    'line_search_failed',
  ]),
  'StopReason',
  'Why the run stopped. `line_search_failed`: the line search of newton or lbfgs found no step decreasing f (not converged).',
);

export type StopReasonAgreesWithCore = Assert<Agrees<z.output<typeof stopReasonSchema>, StopReason>>;

export const jobProgressSchema = z
  .object({
    iteration: z.number().int(),
    maxIterations: z.number().int(),
    f: z.number().nullable().describe('null until the worker reports its first point.'),
    gradNorm: z.number().nullable().describe('null until the worker reports its first point.'),
  })
  .describe(
    'Latest progress reported by the worker; from the moment the job runs (iteration 0, f and gradNorm ' +
      'null until the first report). null while queued.',
  );

export const deviceInfoSchema = z
  .object({
    kind: z.enum(['cpu', 'gpu']),
    precision: z
      .enum(['float64', 'float32'])
      .describe(
        'float64 on the CPU, float32 on a GPU. A CPU run resumed from a GPU checkpoint (its GPU worker ' +
          'went away) reports kind cpu and precision float32: part of it ran in float32.',
      ),
    adapter: z
      .string()
      .nullable()
      .describe(
        'The GPU adapter, e.g. "NVIDIA H200" or "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)"; null on the CPU.',
      ),
  })
  .describe('Where the run executed.');

export type DeviceInfoAgreesWithCore = Assert<Agrees<z.output<typeof deviceInfoSchema>, DeviceInfo>>;

export const resultSchema = named(
  z.object({
    stopReason: stopReasonSchema,
    converged: z.boolean().describe('Stopped by grad_tol, f_tol or target_value.'),
    device: deviceInfoSchema,
    x: z
      .array(z.number())
      .nullable()
      .describe('Final parameters; null above the inline dimension limit (see GET /v1/jobs/{id}/params).'),
    f: z.number(),
    gradNorm: z.number(),
    iterations: z.number().int(),
    evaluations: z.object({ f: z.number().int(), gradient: z.number().int(), hessian: z.number().int() }),
    best: z
      .object({ iteration: z.number().int(), f: z.number(), x: z.array(z.number()).nullable() })
      .describe(
        'The best healthy iterate: of lowest f; for a model with validation rows, the recorded point of lowest ' +
          'validation loss (f is its batch loss there). x is null above the inline dimension limit.',
      ),
    validation: z
      .object({
        loss: z
          .number()
          .describe('The lowest validation loss (mean, without l2), at bestIteration: that of best.x.'),
        accuracy: z.number().nullable().describe('The validation accuracy there (null for regression).'),
        bestIteration: z
          .number()
          .int()
          .describe('The recorded point of lowest validation loss (best.iteration).'),
        finalLoss: z.number().describe('The validation loss at the final parameters x.'),
        finalAccuracy: z.number().nullable().describe('The validation accuracy at x (null for regression).'),
      })
      .optional()
      .describe(
        'Model objectives with validation rows: the validation set evaluated at the recorded points (and the ' +
          'final one). For these runs `best` is the recorded point of lowest validation loss.',
      ),
    diagnostics: z
      .object({
        stationaryPoint: z.enum(['minimum', 'saddle', 'maximum', 'degenerate']).nullable(),
        conditionNumber: z.number().nullable(),
        skipped: z
          .enum(['time_limit', 'cancelled'])
          .optional()
          .describe(
            'Present when the final diagnostics were skipped (both values null): the time budget ran out, or the job was cancelled, before they were computed.',
          ),
      })
      .describe(
        "From the Hessian at x, up to dimension 1000: κ = max|λ|/min|λ|, and the kind of stationary point when ‖g‖ <= max(gradTol, 1e-6). Computed within the job's maxSeconds.",
      ),
    wallMs: z.number(),
  }),
  'Result',
  'The outcome of a run; set when a job is completed or cancelled.',
);

export const jobErrorSchema = z
  .object({ code: z.string(), message: z.string() })
  .describe('Set when the job failed (system errors only; a diverging run is completed).');

export const jobLinksSchema = z.object({
  self: z.string(),
  events: z.string(),
  trajectory: z.string(),
  params: z.string(),
  cancel: z.string(),
});

export const jobSchema = named(
  z.object({
    id: z.string().describe('Opaque and unguessable.'),
    status: jobStatusSchema,
    spec: jobSpecDocumentSchema,
    progress: jobProgressSchema.nullable(),
    result: resultSchema.nullable(),
    error: jobErrorSchema.nullable(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    cancelRequested: z
      .boolean()
      .describe(
        'True once a cancel was requested: a queued job is cancelled at once, a running one stops within ' +
          '100 ms (its status is still `running` in the answer to the cancel).',
      ),
    waitingFor: z
      .string()
      .nullable()
      .describe(
        'Why a queued job is not running yet when no worker that can run it is about, e.g. "a GPU worker ' +
          '(none seen in the last 10 s)" for a `device: "gpu"` job; null otherwise (also in event streams, ' +
          'which do not compute it).',
      ),
    links: jobLinksSchema,
    comparisonId: z
      .string()
      .nullable()
      .describe('The comparison this job is a run of; null for a job of its own.'),
    webhook: webhookStateSchema,
  }),
  'Job',
);
export type Job = z.output<typeof jobSchema>;

export const jobListSchema = named(
  z.object({
    items: z.array(jobSchema).describe('Newest first.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  }),
  'JobList',
);

/** Most specs in one POST /v1/jobs/batch. */
export const MAX_BATCH_JOBS = 1000;

export const jobBatchSchema = named(
  z.object({
    jobs: z.array(jobSpecDocumentSchema).min(1).max(MAX_BATCH_JOBS).describe('1 to 1,000 job specs.'),
  }),
  'JobBatch',
  'Job specs submitted together: all are stored and queued, or none (one invalid spec refuses the batch).',
  [{ jobs: [JOB_SPEC_EXAMPLES[0], { ...JOB_SPEC_EXAMPLES[0], optimizer: { name: 'adam', lr: 0.05 } }] }],
);

export const jobBatchResultSchema = named(
  z.object({ items: z.array(jobSchema).describe('The jobs, in the order of the request.') }),
  'JobBatchResult',
);

export const jobIdParamsSchema = z.object({ id: z.string().min(1).max(200).describe('The job id.') });

export const listJobsQuerySchema = z.strictObject({
  status: jobStatusSchema.optional(),
  label: z
    .string()
    .max(200)
    .optional()
    .describe('Only jobs with exactly this label.')
    .meta({ examples: ['docs-example'] }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .meta({ examples: [5] }),
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the previous page.'),
});

export const submitHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The same key (per tenant) returns the same job instead of creating another (kept 24 h).')
    .meta({ examples: ['notebook-run-42'] }),
});

export const trajectoryPointSchema = named(
  z.object({
    i: z.number().int().describe('Iteration; 0 is the start point, before any step.'),
    f: z.number(),
    gradNorm: z.number().describe('‖∇f(xᵢ)‖₂ without added noise.'),
    lr: z.number().describe('The rate of step i (point 0 reports lr₁).'),
    x: z.array(z.number()).optional().describe('Present when the job records params.'),
    t: z.number().describe('Milliseconds since the run started.'),
    valF: z.number().optional(),
    valAccuracy: z.number().optional(),
  }),
  'TrajectoryPoint',
);
export type TrajectoryPointResource = z.output<typeof trajectoryPointSchema>;

export const trajectoryQuerySchema = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(-1)
    .default(-1)
    .describe('Exclusive: points with i > after.')
    .meta({ examples: [100] }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Default 1000 for JSON; CSV returns every remaining point unless a limit is given.')
    .meta({ examples: [50] }),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('Overrides the Accept header (handy for `pandas.read_csv(url)`).')
    .meta({ examples: ['csv'] }),
});

export const eventsQuerySchema = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(-1)
    .optional()
    .describe('Resume after this point i (exclusive); the Last-Event-ID header takes precedence.')
    .meta({ examples: [100] }),
});

export const eventsHeadersSchema = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^-?\d+$/, 'must be an integer (the id of the last event received)')
    .optional()
    .describe('Sent by EventSource on reconnect: resume after this point i.')
    .meta({ examples: ['100'] }),
});

export const trajectoryPageSchema = named(
  z.object({
    points: z.array(trajectoryPointSchema),
    next: z.number().int().describe('The `after` for the following page.'),
    complete: z.boolean().describe('True once the job is finished and no points remain after this page.'),
  }),
  'TrajectoryPage',
);

export const paramsQuerySchema = z.strictObject({
  which: z
    .enum(['final', 'best'])
    .default('final')
    .meta({ examples: ['best'] }),
});

export const DEFAULT_TRAJECTORY_LIMIT = 1000;

export type ValidationAgreesWithCore = Assert<
  Agrees<Exclude<z.output<typeof resultSchema>['validation'], undefined>, ValidationSummary>
>;

export type DiagnosticsAgreeWithCore = Assert<
  Agrees<z.output<typeof resultSchema>['diagnostics'], Diagnostics>
>;
