import type { Job } from '../schemas/job.ts';
import type { JobRecord } from '../store/contract.ts';

/**
 * Progress as the API shows it: the worker's latest report, or, for a running job that has not
 * reported yet, iteration 0 of maxIterations with f and gradNorm null. A poll right after the start
 * then reads "running, 0 of N" rather than `null`, which reads as "nothing known"; derived here so
 * the workers' reports (and the store) stay as they are.
 */
function progressOf(record: JobRecord): Job['progress'] {
  if (record.progress !== null || record.status !== 'running') return record.progress;
  return { iteration: 0, maxIterations: record.spec.stop.maxIterations, f: null, gradNorm: null };
}

/** The API resource for a stored job record: the record less internal fields, plus links. */
export function toJobResource(record: JobRecord): Job {
  const self = `/v1/jobs/${encodeURIComponent(record.id)}`;
  return {
    id: record.id,
    status: record.status,
    spec: record.spec as Job['spec'],
    progress: progressOf(record),
    result: record.result as Job['result'],
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    cancelRequested: record.cancelRequested,
    links: {
      self,
      events: `${self}/events`,
      trajectory: `${self}/trajectory`,
      params: `${self}/params`,
      cancel: `${self}/cancel`,
    },
    comparisonId: record.comparisonId ?? null,
    webhook: record.webhook ?? null,
  };
}
