import type { TrajectoryPoint } from './api-types.ts';

/**
 * One run's trajectory as columns of growable Float64Arrays (a 100,000-point run is a few MB,
 * and the charts and the contour read the columns in tight loops). Points arrive in order; a
 * point whose `i` is not above the last one's is a repeat and is dropped.
 */

const COLUMNS = ['i', 'f', 'gradNorm', 'lr', 't', 'x0', 'x1', 'valF', 'valAccuracy'] as const;
export type Column = (typeof COLUMNS)[number];

export class RunSeries {
  length = 0;
  /** Whether points carry x (2 or more coordinates: x0, x1 hold the first two). */
  hasX = false;
  /** Whether points carry validation loss (model objectives). */
  hasValidation = false;
  hasAccuracy = false;
  readonly columns: Record<Column, Float64Array>;
  private capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.columns = Object.fromEntries(COLUMNS.map((name) => [name, new Float64Array(capacity)])) as Record<
      Column,
      Float64Array
    >;
  }

  get lastIteration(): number {
    return this.length === 0 ? -1 : this.columns.i[this.length - 1];
  }

  private grow(): void {
    this.capacity *= 2;
    for (const name of COLUMNS) {
      const bigger = new Float64Array(this.capacity);
      bigger.set(this.columns[name].subarray(0, this.length));
      this.columns[name] = bigger;
    }
  }

  push(point: TrajectoryPoint): boolean {
    if (point.i <= this.lastIteration) return false;
    if (this.length === this.capacity) this.grow();
    const k = this.length++;
    const c = this.columns;
    c.i[k] = point.i;
    c.f[k] = point.f ?? Number.NaN;
    c.gradNorm[k] = point.gradNorm ?? Number.NaN;
    c.lr[k] = point.lr ?? Number.NaN;
    c.t[k] = point.t ?? Number.NaN;
    const x = point.x;
    if (x !== undefined && x.length >= 2) {
      this.hasX = true;
      c.x0[k] = x[0];
      c.x1[k] = x[1];
    } else {
      c.x0[k] = Number.NaN;
      c.x1[k] = Number.NaN;
    }
    if (point.valF !== undefined) this.hasValidation = true;
    if (point.valAccuracy !== undefined) this.hasAccuracy = true;
    c.valF[k] = point.valF ?? Number.NaN;
    c.valAccuracy[k] = point.valAccuracy ?? Number.NaN;
    return true;
  }

  /** The index of the last point with i <= iteration (−1 when none). */
  indexAtIteration(iteration: number): number {
    const i = this.columns.i;
    let lo = 0;
    let hi = this.length - 1;
    if (hi < 0 || i[0] > iteration) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (i[mid] <= iteration) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
