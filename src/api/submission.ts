import type { FastifyInstance } from 'fastify';
import type { JobSpec } from '../core/spec.ts';
import type { DatasetShape } from '../data/model-data.ts';
import { normalizeJobSpec } from '../schemas/job-spec.ts';
import type { JobRecord } from '../store/contract.ts';
import { DatasetGoneError } from '../store/jobs.ts';
import { badRequest } from './plugins/error-handler.ts';

/**
 * A submitted job spec on its way to the store, where it meets the tenant's data sets:
 * normalisation needs the shape of the data set a model names (its features and classes make
 * the parameter count), and a model's inline rows are stored as a data set, so that the job
 * record and the queue entry carry a datasetId, never the rows.
 */

/** The id a body's model objective names (`objective.data.datasetId`), before any validation. */
export function referencedDatasetId(body: unknown): string | null {
  const objective = (body as { objective?: { type?: unknown; data?: { datasetId?: unknown } } } | null)
    ?.objective;
  const id = objective?.type === 'model' ? objective.data?.datasetId : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
}

export interface Submission {
  spec: JobSpec;
  /** The data set stored from the spec's inline rows (null: none). */
  inlineDatasetId: string | null;
}

/**
 * Validates and normalises a job spec for `tenant` with the server's limits (400 with field paths);
 * a model's inline rows are stored as a data set of the tenant (origin `inline`) and the spec
 * refers to it by id.
 */
export async function normalizeSubmission(
  app: FastifyInstance,
  tenant: string,
  body: unknown,
): Promise<Submission> {
  const referenced = referencedDatasetId(body);
  const shape: DatasetShape | undefined =
    referenced === null ? undefined : await app.datasets.shape(referenced, tenant);
  const normalized = normalizeJobSpec(body, {
    limits: app.config.limits,
    models: {
      datasetShape: (id) => (id === referenced ? shape : undefined),
      maxDatasetNumbers: app.config.maxDatasetNumbers,
    },
  });
  if (!normalized.ok) throw badRequest(normalized.errors, 'Invalid job spec');
  const { spec, inlineData } = normalized;
  if (inlineData === undefined || spec.objective.type !== 'model') return { spec, inlineDatasetId: null };
  const record = await app.datasets.create(tenant, inlineData, { origin: 'inline' });
  return {
    spec: { ...spec, objective: { ...spec.objective, data: { datasetId: record.id } } },
    inlineDatasetId: record.id,
  };
}

/**
 * Creates the job record of a submission. A data set deleted since normalisation is a 400 (the
 * create script checks it atomically); the data set stored from inline rows is removed again when
 * the Idempotency-Key returned an existing job instead.
 */
export async function createSubmittedJob(
  app: FastifyInstance,
  tenant: string,
  submission: Submission,
  idempotencyKey: string | undefined,
): Promise<{ job: JobRecord; created: boolean }> {
  let outcome: { job: JobRecord; created: boolean };
  try {
    outcome = await app.jobs.create(tenant, submission.spec, idempotencyKey);
  } catch (error) {
    if (!(error instanceof DatasetGoneError)) throw error;
    throw badRequest(
      [{ path: 'objective.data.datasetId', message: `no data set '${error.datasetId}' (it was deleted)` }],
      'Invalid job spec',
    );
  }
  if (!outcome.created && submission.inlineDatasetId !== null) {
    await app.datasets.remove(submission.inlineDatasetId, tenant).catch(() => undefined);
  }
  return outcome;
}
