import { CPU_DEVICE } from '../core/run.ts';
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

/**
 * The result as the API shows it. Results stored before `device` existed (every run was on the
 * CPU then) report the CPU, so a job finished before an upgrade still matches the schema.
 */
function resultOf(record: JobRecord): Job['result'] {
  const result = record.result;
  if (result === null || result.device !== undefined) return result as Job['result'];
  return { ...result, device: { ...CPU_DEVICE } } as Job['result'];
}

/**
 * The API resource for a stored job record: the record less internal fields, plus links.
 * `waitingFor` (see JobQueue.waitingFor) is computed by the routes that show a single job or a list.
 */
export function toJobResource(record: JobRecord, waitingFor: string | null = null): Job {
  const self = `/v1/jobs/${encodeURIComponent(record.id)}`;
  return {
    id: record.id,
    status: record.status,
    spec: record.spec as Job['spec'],
    progress: progressOf(record),
    result: resultOf(record),
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    cancelRequested: record.cancelRequested,
    waitingFor,
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
