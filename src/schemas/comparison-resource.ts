import { z } from 'zod';
import { comparisonSpecSchema, MAX_COMPARISON_RUNS } from './comparison.ts';
import { jobSchema, listJobsQuerySchema, stopReasonSchema } from './job.ts';
import { jobSpecSchema } from './job-spec.ts';
import { named } from './openapi-registry.ts';
import { optimizerSchema } from './optimizer.ts';
import { COMPARISON_EXAMPLES } from './request-examples.ts';
import { scheduleSchema } from './schedule.ts';
import { webhookStateSchema } from './webhook-resource.ts';

/** The Comparison resource (README "Comparisons and sweeps") and the parameters of its routes. */

export const comparisonSpecDocumentSchema = named(
  comparisonSpecSchema,
  'ComparisonSpec',
  'Several runs on one objective: the shared fields of a job spec, and `runs` or a `sweep` (exactly one).',
  COMPARISON_EXAMPLES,
);

export const comparisonStatusSchema = named(
  z.enum(['queued', 'running', 'completed', 'cancelled', 'failed']),
  'ComparisonStatus',
  'queued until a run starts; completed when every run has finished; cancelled when the user cancelled it ' +
    '(its unfinished runs were cancelled); failed when a run failed (a system error) and none is still running.',
);

export const rankingReasonSchema = z
  .enum(['diverged', 'line_search_failed', 'failed'])
  .nullable()
  .describe('Why the run ranks last: it diverged, its line search failed, or it failed; null otherwise.');

export const rankingEntrySchema = named(
  z.object({
    rank: z.number().int().describe('1 is the best.'),
    jobId: z.string(),
    label: z.string(),
    optimizer: z.string().describe("The run's optimizer name."),
    param: z
      .object({ name: z.string(), value: z.number() })
      .optional()
      .describe("A sweep's parameter and this run's value."),
    stopReason: stopReasonSchema.nullable().describe('null for a failed run.'),
    converged: z.boolean(),
    f: z.number().nullable(),
    bestF: z.number().nullable().describe('The lowest f the run recorded.'),
    gap: z.number().nullable().describe('f − the known minimum (builtins that have one); null otherwise.'),
    iterations: z.number().int().nullable(),
    evaluations: z
      .object({ f: z.number().int(), gradient: z.number().int(), hessian: z.number().int() })
      .nullable(),
    wallMs: z.number().nullable(),
    reason: rankingReasonSchema,
  }),
  'RankingEntry',
  'A finished run in the ranking: converged first, then lower f, fewer iterations, lower wallMs; runs that ' +
    'diverged, whose line search failed, or that failed come last, in that order, with `reason`.',
);

export const comparisonSpecOutputSchema = jobSpecSchema
  .pick({ objective: true, start: true, stop: true, record: true, gradientNoise: true, device: true })
  .extend({
    seed: z.number().int().describe('Resolved once; every run uses it.'),
    runs: z
      .array(z.object({ optimizer: optimizerSchema, schedule: scheduleSchema, label: z.string() }))
      .max(MAX_COMPARISON_RUNS)
      .describe('Normalised, a sweep expanded; index k is the job at jobs[k].'),
    sweep: z
      .object({ optimizer: optimizerSchema, param: z.string(), values: z.array(z.number()) })
      .nullable()
      .describe(
        "The sweep as given (its optimizer normalised; each run's value is in runs[k]); null for listed runs.",
      ),
    webhook: z.object({ url: z.string() }).optional(),
  })
  .describe('The comparison spec, normalised.');

export const comparisonSchema = named(
  z.object({
    id: z.string(),
    status: comparisonStatusSchema,
    label: z.string().nullable(),
    spec: comparisonSpecOutputSchema,
    jobs: z.array(jobSchema).describe('The member jobs, in run order.'),
    ranking: z.array(rankingEntrySchema).describe('Finished runs, best first; updated as runs finish.'),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    links: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
    webhook: webhookStateSchema,
  }),
  'Comparison',
  'Several runs on one objective from the same start and seed, ranked.',
);
export type Comparison = z.output<typeof comparisonSchema>;
export type RankingEntry = z.output<typeof rankingEntrySchema>;

export const comparisonListSchema = named(
  z.object({
    items: z.array(comparisonSchema).describe('Newest first.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  }),
  'ComparisonList',
);

export const comparisonIdParamsSchema = z.object({
  id: z.string().min(1).max(200).describe('The comparison id.'),
});

/** As GET /v1/jobs's query (limit, cursor), with the comparisons' status and label. */
export const listComparisonsQuerySchema = listJobsQuerySchema.extend({
  status: comparisonStatusSchema.optional(),
  label: z
    .string()
    .max(200)
    .optional()
    .describe('Only comparisons with exactly this label.')
    .meta({ examples: ['docs-comparison'] }),
});

/** `v1.<i₀>.<i₁>.…`: the last point delivered per member, in run order (-1: none yet). */
export const RESUME_TOKEN = /^v1(\.-?\d{1,15}){1,50}$/;

export const comparisonEventsQuerySchema = z.strictObject({
  after: z
    .string()
    .regex(RESUME_TOKEN, 'must be a resume token v1.<i0>.<i1>… (the id of the last points event)')
    .optional()
    .describe(
      'Resume after this token (the `id` of the last `points` event); Last-Event-ID takes precedence.',
    )
    .meta({ examples: ['v1.10.-1'] }),
});

export const comparisonEventsHeadersSchema = z.looseObject({
  'last-event-id': z
    .string()
    .regex(RESUME_TOKEN, 'must be a resume token v1.<i0>.<i1>… (the id of the last points event)')
    .optional()
    .describe('Sent by EventSource on reconnect: resume every run after its own last point.')
    .meta({ examples: ['v1.10.-1'] }),
});
