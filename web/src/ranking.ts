import type { RankingRow } from './api-types.ts';
import { h, replaceChildren } from './dom.ts';
import { formatDuration, formatInteger, formatNumber, formatStopReason } from './format.ts';
import { isFinished, type Run, runColorOf } from './runs.ts';

/**
 * The ranking table of a comparison or of jobs shown together: finished runs best first, then
 * the runs still going. A comparison's rows come in the API's order (its `ranking`); jobs opened
 * together are ranked here by the same rule: converged first, then lower f, fewer iterations,
 * less wall time; runs that diverged, whose line search failed, or that failed, last.
 */

const LAST_REASONS = ['diverged', 'line_search_failed', 'failed'];

function lastRank(row: RankingRow): number {
  const index = LAST_REASONS.indexOf(row.reason ?? '');
  return index < 0 ? -1 : index;
}

/** Ascending, a missing value (a failed run has no f) after every number. */
function orderOf(a: number | null, b: number | null): number {
  return (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY) || 0;
}

/** Rows for runs that are not a comparison's (computed from their Job resources). */
export function rankRuns(runs: Run[], knownMinimum: (run: Run) => number | null): RankingRow[] {
  const rows: RankingRow[] = runs.flatMap((run) => {
    const job = run.job;
    const result = job?.result;
    if (!job || !isFinished(run)) return [];
    const stopReason = result?.stopReason ?? null;
    const reason =
      job.status === 'failed'
        ? 'failed'
        : stopReason === 'diverged' || stopReason === 'line_search_failed'
          ? stopReason
          : null;
    const minimum = knownMinimum(run);
    return [
      {
        rank: 0,
        jobId: run.jobId,
        label: run.label,
        optimizer: (job.spec.optimizer as { name: string }).name,
        stopReason,
        converged: result?.converged ?? false,
        f: result?.f ?? null,
        bestF: result?.best.f ?? null,
        gap: minimum === null || !result ? null : result.f - minimum,
        iterations: result?.iterations ?? null,
        evaluations: result?.evaluations ?? null,
        wallMs: result?.wallMs ?? null,
        reason,
      },
    ];
  });
  rows.sort(
    (a, b) =>
      lastRank(a) - lastRank(b) ||
      Number(b.converged) - Number(a.converged) ||
      orderOf(a.f, b.f) ||
      orderOf(a.iterations, b.iterations) ||
      orderOf(a.wallMs, b.wallMs),
  );
  rows.forEach((row, k) => {
    row.rank = k + 1;
  });
  return rows;
}

export class RankingTable {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;

  constructor() {
    this.body = h('tbody');
    this.element = h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'ranking' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['#', 'run', 'stop reason', 'f', 'best f', 'gap to f*', 'iterations', 'wall time'].map(
              (title) => h('th', { scope: 'col' }, title),
            ),
          ),
        ),
        this.body,
      ),
    );
  }

  update(rows: RankingRow[], runs: Run[]): void {
    const byId = new Map(runs.map((run) => [run.jobId, run]));
    const ranked = new Set(rows.map((row) => row.jobId));
    const finishedRows = rows.map((row) => {
      const run = byId.get(row.jobId);
      const color = run ? runColorOf(run) : 'transparent';
      return h(
        'tr',
        { 'data-job-id': row.jobId, class: row.reason ? 'ranked-last' : row.converged ? 'converged' : '' },
        h('td', { class: 'num' }, String(row.rank)),
        h(
          'td',
          {},
          h('span', { class: 'swatch', style: `background:${color}` }),
          h('a', { href: `/?job=${row.jobId}` }, row.label),
        ),
        h(
          'td',
          {},
          h('span', { class: `reason reason-${row.stopReason}` }, formatStopReason(row.stopReason)),
        ),
        h('td', { class: 'num' }, formatNumber(row.f)),
        h('td', { class: 'num' }, formatNumber(row.bestF)),
        h('td', { class: 'num' }, formatNumber(row.gap)),
        h('td', { class: 'num' }, formatInteger(row.iterations)),
        h('td', { class: 'num' }, formatDuration(row.wallMs)),
      );
    });
    const pendingRows = runs
      .filter((run) => !ranked.has(run.jobId))
      .map((run) =>
        h(
          'tr',
          { 'data-job-id': run.jobId, class: 'pending' },
          h('td', { class: 'num' }, '…'),
          h(
            'td',
            {},
            h('span', { class: 'swatch', style: `background:${runColorOf(run)}` }),
            h('a', { href: `/?job=${run.jobId}` }, run.label),
          ),
          h('td', {}, h('span', { class: 'reason' }, run.job?.status ?? 'connecting')),
          h('td', { class: 'num' }, formatNumber(run.job?.progress?.f ?? null)),
          h('td', { class: 'num' }, '—'),
          h('td', { class: 'num' }, '—'),
          h('td', { class: 'num' }, formatInteger(run.job?.progress?.iteration ?? null)),
          h('td', { class: 'num' }, '—'),
        ),
      );
    replaceChildren(this.body, ...finishedRows, ...pendingRows);
  }
}
