/**
 * The shapes every part of the optimizer core shares. Pure TypeScript: no Node or I/O imports,
 * so the CLI, the API (evaluate, catalog) and the workers all run exactly this code.
 *
 * Conventions (stdlib-js / gl-matrix style): kernels write into caller-owned `Float64Array`s,
 * options are validated once at the boundary (zod, in src/schemas) and never inside a loop.
 */

/** A differentiable objective f: ℝⁿ → ℝ. */
export interface Objective {
  readonly dim: number;
  /** f(x). */
  value(x: Float64Array): number;
  /** Returns f(x) and writes ∇f(x) into `g` (length `dim`), in place. */
  valueAndGradient(x: Float64Array, g: Float64Array): number;
  /**
   * Optional one-pass form of `valueAndGradient` for elementwise objectives: the same f and g,
   * bit for bit, and Σ gᵢ² (summed in index order) written into `normSquared[0]`. The run loop
   * needs ‖g‖ every iteration; with this it reads g once per iteration instead of twice, which
   * matters at millions of dimensions, where an iteration is bound by memory traffic.
   */
  valueGradientAndNormSquared?(x: Float64Array, g: Float64Array, normSquared: Float64Array): number;
  /** Writes ∇²f(x) row-major into `h` (length dim·dim), in place. Absent when no Hessian exists. */
  hessian?(x: Float64Array, h: Float64Array): void;
  /**
   * Optional: the eigenvalues of ∇²f(x), for objectives that know them in closed form (the
   * quadratic's λᵢ, rotated or not), so the final diagnostics need no eigendecomposition. The
   * caller must not modify the array.
   */
  hessianSpectrum?(x: Float64Array): Float64Array;
}

/**
 * Counters of objective evaluations, as reported in `Result.evaluations`.
 * The run loop wraps the objective so that line searches are counted too.
 */
export interface EvaluationCounts {
  f: number;
  gradient: number;
  hessian: number;
}

/** Plain data: numbers, booleans, strings, null, Float64Arrays, and arrays/objects of those. */
export type PlainState =
  | number
  | boolean
  | string
  | null
  | Float64Array
  | PlainState[]
  | { [key: string]: PlainState };

/**
 * What an optimizer's step may use beyond x and g, and what it may hand back. The run loop
 * passes a full context (createStepContext) and resets `evaluated` and `lineSearchFailed`
 * before every step; a caller outside it may pass just `{objective, f}`.
 */
export interface StepContext {
  /** The (counted) objective, for line searches and Hessians. */
  objective: Objective;
  /** f at the current x, exact (no gradient noise). */
  f: number;
  /**
   * A buffer of length dim (not g) for ∇f at `next`. Given it, a step whose line search already
   * evaluated f and ∇f at the point it writes to `next` leaves that gradient here, sets `nextF`
   * and sets `evaluated`: the run loop then takes f and ∇f from here instead of evaluating `next`
   * again (the line search's calls were counted). The values are those of the objective as the
   * step saw it: a loop that changes the objective between the step and the evaluation (the next
   * mini-batch of a data objective) must evaluate `next` itself and ignore `evaluated`.
   */
  nextGradient?: Float64Array;
  /** f(next), when `evaluated`. */
  nextF?: number;
  /** Set by a step that evaluated f and ∇f at `next` into `nextF` and `nextGradient`. */
  evaluated?: boolean;
  /**
   * Set by a step whose line search found no step decreasing f. The step then writes x itself to
   * `next` (a caller that ignores the flag stays put), and the run ends at x with stopReason
   * `line_search_failed` (never a zero step that would pass for convergence).
   */
  lineSearchFailed?: boolean;
}

/**
 * An optimizer, torch.optim style: hyperparameters are fixed at creation, per-parameter state
 * `S` is plain data (it is checkpointed and restored bit for bit). The implementations are
 * classes, not objects of closures: the run loop calls `step` every iteration, and a fresh
 * closure per run is a new call target there, which V8 answers by deoptimizing the loop each time
 * a run starts (the same holds for schedules).
 */
export interface Optimizer<S extends PlainState = PlainState> {
  readonly name: string;
  /** Fresh state for a problem of dimension `dim`. */
  init(dim: number): S;
  /**
   * One update from x and the gradient g at x, written into `next`; x itself is left as it was
   * (g may carry added noise and clipping; the step may overwrite g as scratch). `lr` is this
   * step's rate (base lr times the schedule factor), `t` the 1-based step number (Adam's bias
   * correction uses it). The run loop evaluates f and ∇f at `next` afterwards, unless the step
   * hands them over (`context.evaluated`); a step whose line search fails sets
   * `context.lineSearchFailed` instead of moving.
   *
   * Returns Σⱼ nextⱼ·0: 0 when every entry of the new iterate is finite, NaN otherwise
   * (x·0 is NaN exactly for ±∞ and NaN). Folded into the update's own pass, this gives the run
   * loop its divergence check of x, and leaving x untouched gives it the last healthy iterate,
   * with no extra pass over memory for either (see run.ts).
   */
  step(
    x: Float64Array,
    next: Float64Array,
    g: Float64Array,
    lr: number,
    state: S,
    t: number,
    context: StepContext,
  ): number;
}

/** A learning-rate schedule: a factor on the base lr at 0-based step index t. */
export interface Schedule<S extends PlainState = PlainState> {
  init(): S;
  /** Factor s(t) multiplying the base lr for step index t (step i uses t = i − 1). */
  factor(t: number, state: S): number;
  /** Called with f (or the validation loss) after every evaluation; only `plateau` uses it. */
  observe?(value: number, state: S): void;
}

export type StopReason =
  | 'grad_tol'
  | 'f_tol'
  | 'target_value'
  | 'max_iterations'
  | 'time_limit'
  | 'diverged'
  | 'cancelled'
  | 'early_stopped'
  | 'line_search_failed';

export type StationaryPoint = 'minimum' | 'saddle' | 'maximum' | 'degenerate';

/** Why diagnostics the run would have computed are null: its time budget ran out, or it was cancelled. */
export type DiagnosticsSkipped = 'time_limit' | 'cancelled';

export interface Diagnostics {
  stationaryPoint: StationaryPoint | null;
  conditionNumber: number | null;
  /**
   * Present only when the final diagnostics were skipped: the run's time budget (maxSeconds) ran
   * out, or it was cancelled, before they were computed. Absent when they were computed, or
   * cannot be (no Hessian, dimension over 1000, f not finite), with both values then null.
   */
  skipped?: DiagnosticsSkipped;
}

/**
 * Where a run executed, as `Result.device` reports it (API.md): the CPU core in float64, or a
 * compute device (WebGPU has no float64) in float32, with the adapter's description.
 * `precision` is the lowest precision any part of the run used: a CPU run resumed from a device
 * checkpoint reports `kind: 'cpu'` and `precision: 'float32'`, since its iterates until then were
 * float32 and it is not the float64 run of the same spec.
 */
export interface DeviceInfo {
  kind: 'cpu' | 'gpu';
  precision: 'float64' | 'float32';
  /** The adapter's description (GPU), null on the CPU. */
  adapter: string | null;
}

export interface Result {
  stopReason: StopReason;
  converged: boolean;
  device: DeviceInfo;
  x: number[] | null;
  f: number;
  gradNorm: number;
  iterations: number;
  evaluations: EvaluationCounts;
  best: { iteration: number; f: number; x: number[] | null };
  /** Model objectives with validation rows: see {@link ValidationSummary}. */
  validation?: ValidationSummary;
  diagnostics: Diagnostics;
  wallMs: number;
}

/**
 * A model run's validation, evaluated at the recorded points (and the final one): `loss` and
 * `accuracy` at the best of them (lowest validation loss, the parameters `best` returns, at
 * `bestIteration`), and `finalLoss`, `finalAccuracy` at the final parameters `x`. The loss is
 * the mean data loss without the l2 term; accuracy is null for regression.
 */
export interface ValidationSummary {
  loss: number;
  accuracy: number | null;
  bestIteration: number;
  finalLoss: number;
  finalAccuracy: number | null;
}

export interface TrajectoryPoint {
  i: number;
  f: number;
  gradNorm: number;
  lr: number;
  x?: number[];
  t: number;
  /** Model objectives with validation rows: the validation loss at x (mean, without l2). */
  valF?: number;
  /** ... and the share of validation rows classified correctly (classification). */
  valAccuracy?: number;
}
