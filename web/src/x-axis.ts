import type { Run } from './runs.ts';

/**
 * What the charts' x axis measures, and where each recorded point sits on it.
 * - `i`: the iteration.
 * - `t`: wall time since the run started (ms), as the worker recorded it.
 * - `evals`: f evaluations so far. A first-order step evaluates f and ∇f once, so point i is
 *   i + 1 evaluations exactly. A line search (newton, lbfgs) spends a varying number per step that
 *   points do not carry; once the run has finished, its total (Result.evaluations.f) is spread
 *   evenly over its iterations, an estimate the axis label marks with ≈.
 */

export type XKind = 'i' | 't' | 'evals';

export const X_LABELS: Record<XKind, string> = {
  i: 'iteration',
  t: 'wall time (ms)',
  evals: 'f evaluations',
};

function evaluationsPerIteration(run: Run): number {
  const result = run.job?.result;
  const optimizer = run.job?.spec.optimizer as { name?: string; lineSearch?: string } | undefined;
  const searches =
    (optimizer?.name === 'newton' || optimizer?.name === 'lbfgs') && optimizer.lineSearch !== 'none';
  if (!searches || !result || result.iterations === 0) return 1;
  return (result.evaluations.f - 1) / result.iterations;
}

/** Whether the x of this run is an estimate (line-search runs on the evaluations axis). */
export function xIsEstimate(kind: XKind, run: Run): boolean {
  return kind === 'evals' && evaluationsPerIteration(run) !== 1;
}

/** A function giving the x of point k of the run. */
export function xAccessor(kind: XKind, run: Run): (k: number) => number {
  const { i, t } = run.series.columns;
  if (kind === 'i') return (k) => i[k];
  if (kind === 't') return (k) => t[k];
  const perIteration = evaluationsPerIteration(run);
  return (k) => 1 + i[k] * perIteration;
}

/** The iteration of the run's last point at or before x (−1 when none). */
export function iterationAtX(kind: XKind, run: Run, x: number): number {
  const { length } = run.series;
  if (length === 0) return -1;
  const at = xAccessor(kind, run);
  let lo = 0;
  let hi = length - 1;
  if (at(0) > x) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (at(mid) <= x) lo = mid;
    else hi = mid - 1;
  }
  return run.series.columns.i[lo];
}

/** The next "nice" value (1, 2, 5 × 10^k) at or above v: where a growing axis ends. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}
