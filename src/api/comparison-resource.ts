import { builtins } from '../core/objectives/builtins/index.ts';
import type { Comparison, RankingEntry } from '../schemas/comparison-resource.ts';
import type { ComparisonRecord } from '../store/comparisons.ts';
import { FINISHED_STATUSES, type JobRecord } from '../store/contract.ts';
import { toJobResource } from './job-resource.ts';

/**
 * The Comparison resource: the record, its member Jobs in run order, and the ranking of the
 * finished ones (README "Comparisons and sweeps"). Built from records alone, so the API, the SSE
 * stream and the webhook worker all show the same thing.
 */

/** Where a finished run ranks: ordinary runs first, then these, in this order. */
const LAST: Record<NonNullable<RankingEntry['reason']>, number> = {
  diverged: 1,
  line_search_failed: 2,
  failed: 3,
};

/** f − the builtin's known minimum; null for other objectives or when there is none. */
function gapOf(record: JobRecord, f: number): number | null {
  const objective = record.spec.objective;
  if (objective.type !== 'builtin') return null;
  const definition = builtins[objective.name];
  const minimum = definition?.minimum(objective.dim ?? definition.defaultDim, objective.params ?? {});
  return minimum === null || minimum === undefined ? null : f - minimum;
}

function entryOf(
  record: JobRecord,
  comparison: ComparisonRecord,
  runIndex: number,
): Omit<RankingEntry, 'rank'> {
  const run = comparison.spec.runs[runIndex];
  const sweep = comparison.spec.sweep;
  const param =
    sweep === null
      ? undefined
      : {
          name: sweep.param,
          value: (record.spec.optimizer as unknown as Record<string, number>)[sweep.param],
        };
  const result = record.status === 'failed' ? null : record.result;
  const reason: RankingEntry['reason'] =
    result === null
      ? 'failed'
      : result.stopReason === 'diverged' || result.stopReason === 'line_search_failed'
        ? result.stopReason
        : null;
  return {
    jobId: record.id,
    label: run?.label ?? record.spec.label ?? record.id,
    optimizer: record.spec.optimizer.name,
    ...(param === undefined ? {} : { param }),
    stopReason: result?.stopReason ?? null,
    converged: result?.converged ?? false,
    f: result?.f ?? null,
    bestF: result?.best.f ?? null,
    gap: result === null ? null : gapOf(record, result.f),
    iterations: result?.iterations ?? null,
    evaluations: result?.evaluations ?? null,
    wallMs: result?.wallMs ?? null,
    reason,
  };
}

/** A number to sort by, NaN (and null) last. */
function key(value: number | null): number {
  return value === null || Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
}

/**
 * Finished members, best first: converged first; then lower f; then fewer iterations; then lower
 * wallMs. Runs that diverged, whose line search failed, or that failed rank last, in that order
 * (within each, in run order), with `reason`. Ties keep run order.
 */
export function rankRuns(comparison: ComparisonRecord, jobs: readonly JobRecord[]): RankingEntry[] {
  const entries = jobs
    .map((job) => ({ job, index: comparison.jobIds.indexOf(job.id) }))
    .filter(({ job }) => FINISHED_STATUSES.has(job.status))
    .map(({ job, index }) => ({ index, entry: entryOf(job, comparison, index) }));
  entries.sort((a, b) => {
    const lastA = a.entry.reason === null ? 0 : LAST[a.entry.reason];
    const lastB = b.entry.reason === null ? 0 : LAST[b.entry.reason];
    if (lastA !== lastB || lastA > 0) return lastA - lastB || a.index - b.index;
    return (
      Number(b.entry.converged) - Number(a.entry.converged) ||
      key(a.entry.f) - key(b.entry.f) ||
      key(a.entry.iterations) - key(b.entry.iterations) ||
      key(a.entry.wallMs) - key(b.entry.wallMs) ||
      a.index - b.index
    );
  });
  return entries.map(({ entry }, k) => ({ rank: k + 1, ...entry }));
}

/** The resource for a comparison and its member records (in any order; shown in run order). */
export function toComparisonResource(comparison: ComparisonRecord, jobs: readonly JobRecord[]): Comparison {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const members = comparison.jobIds
    .map((id) => byId.get(id))
    .filter((job): job is JobRecord => job !== undefined);
  const self = `/v1/comparisons/${encodeURIComponent(comparison.id)}`;
  const { webhook, ...spec } = comparison.spec;
  return {
    id: comparison.id,
    status: comparison.status,
    label: comparison.label,
    spec: webhook === undefined ? spec : { ...spec, webhook },
    jobs: members.map((member) => toJobResource(member)),
    ranking: rankRuns(comparison, members),
    createdAt: comparison.createdAt,
    finishedAt: comparison.finishedAt,
    links: { self, events: `${self}/events`, cancel: `${self}/cancel` },
    webhook: comparison.webhook ?? null,
  };
}
