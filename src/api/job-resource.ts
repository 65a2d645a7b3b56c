import type { Job } from '../schemas/job.ts';
import type { JobRecord } from '../store/contract.ts';

/** The API resource for a stored job record: the record less internal fields, plus links. */
export function toJobResource(record: JobRecord): Job {
  const self = `/v1/jobs/${encodeURIComponent(record.id)}`;
  return {
    id: record.id,
    status: record.status,
    spec: record.spec as Job['spec'],
    progress: record.progress,
    result: record.result as Job['result'],
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    links: {
      self,
      events: `${self}/events`,
      trajectory: `${self}/trajectory`,
      params: `${self}/params`,
      cancel: `${self}/cancel`,
    },
  };
}
