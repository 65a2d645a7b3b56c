/**
 * Server limits (API.md "Limits"), configurable per deployment. The job-spec schema is built
 * from one of these, so the same code validates for the CLI (defaults) and the API (env).
 */
export interface Limits {
  /** Largest objective dimension. */
  maxDim: number;
  /** Hard cap on `stop.maxIterations`. */
  maxIterations: number;
  /** Hard cap on `stop.maxSeconds`. */
  maxSeconds: number;
  maxExpressionLength: number;
  maxExpressionDepth: number;
  /** Hard cap on `record.maxPoints`. */
  maxPoints: number;
  /**
   * Most numbers of `x` a trajectory may record (points × dimension, with `record.params`): the
   * trajectory lives in Redis memory, and one point of a 1,000,000-dimensional run is ~20 MB.
   */
  maxRecordedNumbers: number;
  /** `x` and `best.x` (and a default start's `x0`) are inlined up to this dimension. */
  inlineParamsMaxDim: number;
  /** Newton needs a dense dim×dim Hessian and an O(dim³) solve per step. */
  newtonMaxDim: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxDim: 1_000_000,
  maxIterations: 10_000_000,
  maxSeconds: 3600,
  maxExpressionLength: 10_000,
  maxExpressionDepth: 200,
  maxPoints: 100_000,
  maxRecordedNumbers: 10_000_000,
  inlineParamsMaxDim: 10_000,
  newtonMaxDim: 2000,
});
