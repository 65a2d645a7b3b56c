/**
 * Decimation per pixel column: a series of any length is drawn as at most two points per column
 * of the plot, the minimum and the maximum of the points falling in that column, in the order
 * they occurred. The line then covers exactly the pixels the full series would (its envelope in
 * each column), with O(columns) points to draw however long the run. Points are added one at a
 * time (O(1) each), so a live run costs only its new points per frame; the bins are rebuilt only
 * when the axis changes (zoom, resize, a range that grew past its end).
 */

export interface ColumnAxis {
  min: number;
  max: number;
  /** Columns are equal widths of log10(x) instead of x. */
  log: boolean;
  columns: number;
}

/** x → fractional column position in [0, columns), or NaN outside the axis. */
export function columnOf(axis: ColumnAxis, x: number): number {
  let u: number;
  if (axis.log) {
    if (!(x > 0)) return Number.NaN;
    u = (Math.log10(x) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  } else {
    u = (x - axis.min) / (axis.max - axis.min);
  }
  if (!(u >= 0 && u <= 1)) return Number.NaN;
  return Math.min(axis.columns - 1, Math.floor(u * axis.columns));
}

/** The two x values of every column (at ¼ and ¾ of its width), shared by every series of a chart. */
export function columnXs(axis: ColumnAxis): Float64Array {
  const xs = new Float64Array(2 * axis.columns);
  const lo = axis.log ? Math.log10(axis.min) : axis.min;
  const hi = axis.log ? Math.log10(axis.max) : axis.max;
  const width = (hi - lo) / axis.columns;
  for (let c = 0; c < axis.columns; c++) {
    const a = lo + (c + 0.25) * width;
    const b = lo + (c + 0.75) * width;
    xs[2 * c] = axis.log ? 10 ** a : a;
    xs[2 * c + 1] = axis.log ? 10 ** b : b;
  }
  return xs;
}

export class ColumnBins {
  private min: Float64Array;
  private max: Float64Array;
  /** Whether the column's minimum came before its maximum. */
  private minFirst: Uint8Array;
  private count: Uint32Array;
  axis: ColumnAxis;

  constructor(axis: ColumnAxis) {
    this.axis = axis;
    this.min = new Float64Array(axis.columns);
    this.max = new Float64Array(axis.columns);
    this.minFirst = new Uint8Array(axis.columns);
    this.count = new Uint32Array(axis.columns);
  }

  /** Empties the bins for a new axis. */
  reset(axis: ColumnAxis): void {
    this.axis = axis;
    if (this.count.length !== axis.columns) {
      this.min = new Float64Array(axis.columns);
      this.max = new Float64Array(axis.columns);
      this.minFirst = new Uint8Array(axis.columns);
      this.count = new Uint32Array(axis.columns);
    } else {
      this.count.fill(0);
    }
  }

  /** Adds a point (non-finite y and x outside the axis are skipped). */
  add(x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    const c = columnOf(this.axis, x);
    if (Number.isNaN(c)) return;
    if (this.count[c] === 0) {
      this.min[c] = y;
      this.max[c] = y;
      this.minFirst[c] = 1;
    } else if (y < this.min[c]) {
      this.min[c] = y;
      // The new minimum comes after the maximum.
      this.minFirst[c] = 0;
    } else if (y > this.max[c]) {
      this.max[c] = y;
      this.minFirst[c] = 1;
    }
    this.count[c]++;
  }

  /**
   * Writes the series in chart order (two values per column: the extreme seen first, then the
   * other; null where a column is empty, one value and a null where it holds a single point).
   * Returns the [min, max] of what it wrote (Infinity, −Infinity when empty) and the smallest
   * non-zero magnitude among the columns' extremes (Infinity when none): where an asinh axis
   * should turn from linear to logarithmic.
   */
  fill(out: (number | null)[]): [number, number, number] {
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    let smallest = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.axis.columns; c++) {
      const n = this.count[c];
      if (n === 0) {
        out[2 * c] = null;
        out[2 * c + 1] = null;
        continue;
      }
      const lo = this.min[c];
      const hi = this.max[c];
      if (lo < low) low = lo;
      if (hi > high) high = hi;
      const a = Math.abs(lo);
      const b = Math.abs(hi);
      if (a > 0 && a < smallest) smallest = a;
      if (b > 0 && b < smallest) smallest = b;
      if (n === 1 || lo === hi) {
        out[2 * c] = lo;
        out[2 * c + 1] = null;
      } else if (this.minFirst[c] === 1) {
        out[2 * c] = lo;
        out[2 * c + 1] = hi;
      } else {
        out[2 * c] = hi;
        out[2 * c + 1] = lo;
      }
    }
    return [low, high, smallest];
  }
}
