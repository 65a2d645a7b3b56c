/**
 * Exponential moving average with TensorBoard's debiasing, so the first points are not pulled
 * toward 0: sₖ = w·sₖ₋₁ + (1 − w)·vₖ, dₖ = w·dₖ₋₁ + (1 − w), smoothed = sₖ / dₖ (s₀ = d₀ = 0).
 * On a log axis it averages log10 f (a geometric mean), since f spans decades there. Kept
 * incrementally: each new point costs O(1); a new weight or space recomputes the run.
 */

export class Ema {
  private sum = 0;
  private debias = 0;
  /** Points folded in so far. */
  count = 0;

  constructor(
    readonly weight: number,
    readonly logSpace: boolean,
  ) {}

  /** Folds in `value` and returns the smoothed value (NaN values pass through, skipped). */
  next(value: number): number {
    if (!Number.isFinite(value) || (this.logSpace && value <= 0)) {
      this.count++;
      return Number.NaN;
    }
    const v = this.logSpace ? Math.log10(value) : value;
    this.sum = this.weight * this.sum + (1 - this.weight) * v;
    this.debias = this.weight * this.debias + (1 - this.weight);
    this.count++;
    const smoothed = this.sum / this.debias;
    return this.logSpace ? 10 ** smoothed : smoothed;
  }
}
