import type { Result } from '../core/types.ts';
import type { JobSpec } from '../schemas/job-spec.ts';
import type {
  JobError,
  JobProgress,
  JobRecord,
  JobStatus,
  WebhookDeliveries,
  WebhookState,
} from './contract.ts';
import { NO_DELIVERIES } from './contract.ts';

/**
 * A job record's hash as Redis returns it, decoded (layout in contract.ts): pure functions, shared
 * by the API's reads (job-records.ts), the worker's (job-runs.ts) and the comparisons'. A
 * record's hash holds only the fields that are set (null fields are absent): id, tenant, status,
 * spec, label, progress, result, error, createdAt, startedAt, finishedAt, cancelRequested,
 * comparison, webhook, webhookLog, dataset.
 */

/** A flat `[field, value, field, value, …]` reply (HGETALL inside a script) as an object. */
export function flatToObject(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

export function parseJson<T>(text: string | undefined): T | null {
  return text === undefined || text === '' ? null : (JSON.parse(text) as T);
}

export function decodeJobRecord(hash: Record<string, string>): JobRecord | null {
  if (hash.id === undefined || hash.status === undefined) return null;
  return {
    id: hash.id,
    tenant: hash.tenant,
    status: hash.status as JobStatus,
    spec: JSON.parse(hash.spec) as JobSpec,
    progress: parseJson<JobProgress>(hash.progress),
    result: parseJson<Result>(hash.result),
    error: parseJson<JobError>(hash.error),
    createdAt: hash.createdAt,
    startedAt: hash.startedAt ?? null,
    finishedAt: hash.finishedAt ?? null,
    cancelRequested: hash.cancelRequested === '1',
    ...(hash.comparison === undefined ? {} : { comparisonId: hash.comparison }),
    ...decodeWebhook(hash),
  };
}

/** `{webhook}` of a job or comparison hash (its `webhook` URL and `webhookLog`), or nothing. */
export function decodeWebhook(hash: Record<string, string>): { webhook?: WebhookState } {
  if (hash.webhook === undefined) return {};
  const deliveries = parseJson<WebhookDeliveries>(hash.webhookLog) ?? NO_DELIVERIES;
  return { webhook: { url: hash.webhook, deliveries } };
}
