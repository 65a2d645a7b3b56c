import type { FastifyInstance } from 'fastify';
import type { DatasetShape } from '../data/model-data.ts';
import type { TabularDataset } from '../data/tabular.ts';
import { type JobSpec, type NormalizeOptions, normalizeJobSpec } from '../schemas/job-spec.ts';
import type { FieldError } from '../schemas/problem.ts';
import type { JobRecord } from '../store/contract.ts';
import { DatasetGoneError, type TenantCapError } from '../store/job-submissions.ts';
import { checkDestination } from '../webhooks/destination.ts';
import { badRequest, HttpProblem, problem } from './plugins/error-handler.ts';

/**
 * What every submission route shares (POST /v1/jobs, /v1/jobs/batch, /v1/comparisons): the
 * tenant's data sets (normalisation needs the shape of the data set a model names, whose features
 * and classes make the parameter count, and a model's inline rows are stored as a data set, so the
 * job record and the queue entry carry a datasetId, never the rows), the webhook destination
 * check, the 429 of a tenant at its cap, and the enqueue after the records.
 */

/** The id a body's model objective names (`objective.data.datasetId`), before any validation. */
export function referencedDatasetId(body: unknown): string | null {
  const objective = (body as { objective?: { type?: unknown; data?: { datasetId?: unknown } } } | null)
    ?.objective;
  const id = objective?.type === 'model' ? objective.data?.datasetId : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
}

/**
 * The normalisation options of a submission for `tenant`: the server's limits, and the shapes of
 * the tenant's data sets that `bodies` name (read once per id; another tenant's id has no shape,
 * and normalisation then reports it unknown).
 */
export async function submissionOptions(
  app: FastifyInstance,
  tenant: string,
  bodies: readonly unknown[],
): Promise<NormalizeOptions> {
  const ids = new Set<string>();
  for (const body of bodies) {
    const id = referencedDatasetId(body);
    if (id !== null) ids.add(id);
  }
  const shapes = new Map<string, DatasetShape | undefined>();
  await Promise.all([...ids].map(async (id) => shapes.set(id, await app.datasets.shape(id, tenant))));
  return {
    limits: app.config.limits,
    models: { datasetShape: (id) => shapes.get(id), maxDatasetNumbers: app.config.maxDatasetNumbers },
  };
}

export interface Submission {
  spec: JobSpec;
  /** The data set stored from the spec's inline rows (null: none). */
  inlineDatasetId: string | null;
}

/**
 * A normalised spec's inline rows stored as a data set of the tenant (origin `inline`), and the
 * spec rewritten to refer to it by id: job records and queue entries never carry rows.
 */
export async function storeInlineData(
  app: FastifyInstance,
  tenant: string,
  spec: JobSpec,
  inlineData: TabularDataset | undefined,
): Promise<Submission> {
  if (inlineData === undefined || spec.objective.type !== 'model') return { spec, inlineDatasetId: null };
  const record = await app.datasets.create(tenant, inlineData, { origin: 'inline' });
  return {
    spec: { ...spec, objective: { ...spec.objective, data: { datasetId: record.id } } },
    inlineDatasetId: record.id,
  };
}

/**
 * Validates and normalises one job spec for `tenant` with the server's limits (400 with field
 * paths); a model's inline rows are stored as a data set and the spec refers to it by id.
 */
export async function normalizeSubmission(
  app: FastifyInstance,
  tenant: string,
  body: unknown,
): Promise<Submission> {
  const normalized = normalizeJobSpec(body, await submissionOptions(app, tenant, [body]));
  if (!normalized.ok) throw badRequest(normalized.errors, 'Invalid job spec');
  return storeInlineData(app, tenant, normalized.spec, normalized.inlineData);
}

/**
 * Creates the job record of a submission. A data set deleted since normalisation is a 400 (the
 * create script checks it atomically); the data set stored from inline rows is removed again when
 * the job is refused (the tenant's cap) or the Idempotency-Key returned an existing job instead.
 */
export async function createSubmittedJob(
  app: FastifyInstance,
  tenant: string,
  submission: Submission,
  idempotencyKey: string | undefined,
): Promise<{ job: JobRecord; created: boolean; position: number }> {
  let outcome: { job: JobRecord; created: boolean; position: number };
  try {
    outcome = await app.jobSubmissions.create(tenant, submission.spec, idempotencyKey);
  } catch (error) {
    await removeInlineData(app, tenant, [submission]);
    if (!(error instanceof DatasetGoneError)) throw error;
    throw datasetGone(error);
  }
  if (!outcome.created) await removeInlineData(app, tenant, [submission]);
  return outcome;
}

/**
 * Removes the data sets stored from submissions' inline rows (best effort): the submission was
 * refused after all, or an Idempotency-Key returned jobs that hold data sets of their own.
 */
export async function removeInlineData(
  app: FastifyInstance,
  tenant: string,
  submissions: readonly Submission[],
): Promise<void> {
  await Promise.all(
    submissions.map((submission) =>
      submission.inlineDatasetId === null
        ? undefined
        : app.datasets.remove(submission.inlineDatasetId, tenant).catch(() => undefined),
    ),
  );
}

/** Seconds a client at its tenant's cap is told to wait: about when some of its jobs will have ended. */
const CAP_RETRY_AFTER_SECONDS = 2;

/**
 * Field errors for webhook URLs the server refuses (`where`: the spec's path prefix, e.g.
 * `jobs[3].`). Each distinct URL is checked once (a batch usually repeats one URL).
 */
export async function webhookErrors(
  app: FastifyInstance,
  hooks: readonly { url: string | undefined; where: string }[],
): Promise<FieldError[]> {
  const given = hooks.filter((hook): hook is { url: string; where: string } => hook.url !== undefined);
  if (given.length === 0) return [];
  if (app.config.webhook.secret === null) {
    return given.map(({ where }) => ({
      path: `${where}webhook`,
      message: 'webhooks are off on this server (it has no WEBHOOK_SECRET to sign them with)',
    }));
  }
  const verdicts = new Map<string, Promise<string | null>>();
  for (const { url } of given)
    if (!verdicts.has(url)) verdicts.set(url, checkDestination(url, app.webhookPolicy));
  const errors: FieldError[] = [];
  for (const { url, where } of given) {
    const refusal = await verdicts.get(url);
    if (refusal !== null && refusal !== undefined)
      errors.push({ path: `${where}webhook.url`, message: refusal });
  }
  return errors;
}

/** 400 for a submission whose data set was deleted between its validation and its creation. */
export function datasetGone(error: DatasetGoneError): HttpProblem {
  return badRequest(
    [{ path: 'objective.data.datasetId', message: `no data set '${error.datasetId}' (it was deleted)` }],
    'Invalid job spec',
  );
}

/** 429 for a submission that would take the tenant over MAX_ACTIVE_JOBS_PER_TENANT. */
export function tooManyActiveJobs(error: TenantCapError): HttpProblem {
  return new HttpProblem(
    problem(
      429,
      'too-many-active-jobs',
      'Too many active jobs',
      `${error.message} (MAX_ACTIVE_JOBS_PER_TENANT); retry once some have finished`,
      { active: error.active, requested: error.requested, cap: error.cap },
    ),
    { 'retry-after': String(CAP_RETRY_AFTER_SECONDS) },
  );
}

/**
 * Enqueues stored jobs in one round trip, in fair order from `position`. When the enqueue fails
 * and the client cannot retry into the same records (no Idempotency-Key), the records are marked
 * failed (best effort) before the error goes on.
 */
export async function enqueueStored(
  app: FastifyInstance,
  jobs: readonly JobRecord[],
  position: number,
  retryable: boolean,
): Promise<void> {
  const queued = jobs.filter((job) => job.status === 'queued');
  if (queued.length === 0) return;
  try {
    if (queued.length === 1) await app.jobQueue.enqueue(queued[0].id, queued[0].spec as JobSpec, position);
    else
      await app.jobQueue.enqueueMany(
        queued.map((job) => ({ id: job.id, spec: job.spec as JobSpec })),
        position,
      );
  } catch (error) {
    if (!retryable) {
      await Promise.all(
        queued.map((job) =>
          app.jobRuns
            .fail(job.id, { code: 'enqueue_failed', message: 'the job could not be queued' })
            .catch(() => {}),
        ),
      );
    }
    throw error;
  }
}
