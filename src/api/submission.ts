import type { FastifyInstance } from 'fastify';
import type { JobSpec } from '../schemas/job-spec.ts';
import type { FieldError } from '../schemas/problem.ts';
import type { JobRecord } from '../store/contract.ts';
import type { TenantCapError } from '../store/jobs.ts';
import { checkDestination } from '../webhooks/destination.ts';
import { HttpProblem, problem } from './plugins/error-handler.ts';

/**
 * What every submission route shares (POST /v1/jobs, /v1/jobs/batch, /v1/comparisons): the
 * webhook destination check, the 429 of a tenant at its cap, and the enqueue after the records.
 */

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
          app.jobs
            .fail(job.id, { code: 'enqueue_failed', message: 'the job could not be queued' })
            .catch(() => {}),
        ),
      );
    }
    throw error;
  }
}
