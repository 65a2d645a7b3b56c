import type { Optimizer, StepContext } from '../types.ts';
import { type LineSearchResult, moveAlong, stayAt, strongWolfe } from './line-search.ts';

/**
 * L-BFGS memory as plain data, so it checkpoints: `s` and `y` are ring buffers of `history`
 * pairs (pair k occupies [k·dim, (k+1)·dim)), `rho[k]` = 1/(s_kᵀy_k), `head` the slot the next
 * pair goes to, `count` how many pairs are held. `previousX`/`previousG` are θ and g of the last
 * step, from which the next step forms its pair.
 */
export type LbfgsState = {
  s: Float64Array;
  y: Float64Array;
  rho: Float64Array;
  head: number;
  count: number;
  previousX: Float64Array;
  previousG: Float64Array;
  hasPrevious: boolean;
};

export interface LbfgsOptions {
  history: number;
  lineSearch: 'strong_wolfe' | 'none';
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4 and 7.5).
 * At the start of a step the pair from the previous one, s = θₖ − θₖ₋₁ and y = gₖ − gₖ₋₁, joins
 * the memory unless sᵀy ≤ 1e-10 ‖s‖‖y‖ (curvature too weak: skipped, the memory is kept).
 * Direction d = −H g by the two-loop recursion over the last `history` pairs with
 * H₀ = γI, γ = sᵀy / yᵀy of the newest pair:
 *   q ← g;  for i newest → oldest: aᵢ = ρᵢ sᵢᵀq, q ← q − aᵢ yᵢ
 *   r ← γ q; for i oldest → newest: b = ρᵢ yᵢᵀr, r ← r + sᵢ (aᵢ − b);  d = −r
 * With an empty memory d = −g and the step starts at min(1, 1/‖g‖)·lr (so the first move has
 * length ≤ lr); otherwise at lr. lineSearch "strong_wolfe" (c₁ = 1e-4, c₂ = 0.9) picks α from
 * there, "none" takes it as is; θ ← θ + α d.
 * Safeguards: if d is not a descent direction (gᵀd ≥ 0 or not finite, e.g. under gradient noise)
 * the memory is cleared and d = −g. If the line search finds no step with sufficient decrease
 * along a quasi-Newton direction, the memory is cleared and the search is tried once more along
 * d = −g (as L-BFGS-B does); if that fails too, or the memory was already empty, the step sets
 * `lineSearchFailed` and θ stays: the run ends `line_search_failed`.
 *
 * The strong Wolfe search evaluates its trials into `next` and `context.nextGradient`, so the
 * accepted point is handed to the run loop already evaluated (`context.evaluated`): one
 * evaluation per trial, none more per iteration. (Without `nextGradient`, its own scratch.)
 */
export function createLbfgs(options: LbfgsOptions): Optimizer<LbfgsState> {
  return new Lbfgs(options);
}

/** Optimizers are classes: one `step` function for every run (see Optimizer). */
class Lbfgs implements Optimizer<LbfgsState> {
  readonly name = 'lbfgs';
  private readonly history: number;
  private readonly lineSearch: LbfgsOptions['lineSearch'];
  private readonly coefficients: Float64Array;
  // Scratch, sized on the first step (a run has one dimension).
  private dim = -1;
  private direction = new Float64Array(0);
  /** Trial gradients when the caller gives no `context.nextGradient`. */
  private trialGradient = new Float64Array(0);

  constructor({ history, lineSearch }: LbfgsOptions) {
    this.history = history;
    this.lineSearch = lineSearch;
    this.coefficients = new Float64Array(history);
  }

  init(n: number): LbfgsState {
    const history = this.history;
    return {
      s: new Float64Array(history * n),
      y: new Float64Array(history * n),
      rho: new Float64Array(history),
      head: 0,
      count: 0,
      previousX: new Float64Array(n),
      previousG: new Float64Array(n),
      hasPrevious: false,
    };
  }

  step(
    x: Float64Array,
    next: Float64Array,
    g: Float64Array,
    lr: number,
    state: LbfgsState,
    _t: number,
    context: StepContext,
  ): number {
    const dim = x.length;
    if (dim !== this.dim) {
      this.dim = dim;
      this.direction = new Float64Array(dim);
      this.trialGradient = new Float64Array(dim);
    }
    const direction = this.direction;
    if (state.hasPrevious) rememberPair(state, x, g);

    twoLoopDirection(state, g, direction, this.coefficients);
    let slope = 0;
    for (let i = 0; i < dim; i++) slope += g[i] * direction[i];
    if (!(slope < 0) || !Number.isFinite(slope)) {
      state.count = 0;
      slope = steepestDescent(g, direction);
    }

    if (this.lineSearch === 'none') {
      remember(state, x, g);
      return moveAlong(next, x, direction, initialStep(state, slope, lr));
    }
    const trialGradient = context.nextGradient ?? this.trialGradient;
    let search = wolfeSearch(
      context,
      x,
      direction,
      slope,
      initialStep(state, slope, lr),
      next,
      trialGradient,
    );
    if (search.step === 0 && state.count > 0) {
      // A stale memory can point nowhere useful: restart from steepest descent once.
      state.count = 0;
      slope = steepestDescent(g, direction);
      search = wolfeSearch(context, x, direction, slope, initialStep(state, slope, lr), next, trialGradient);
    }
    if (search.step === 0) {
      state.count = 0;
      context.lineSearchFailed = true;
      return stayAt(next, x);
    }
    remember(state, x, g);
    if (!search.evaluated) return moveAlong(next, x, direction, search.step);
    if (context.nextGradient !== undefined) {
      context.evaluated = true;
      context.nextF = search.f;
    }
    return search.poison;
  }
}

/** The strong Wolfe search from x along d, its trials evaluated into `next` and `trialGradient`. */
function wolfeSearch(
  context: StepContext,
  x: Float64Array,
  direction: Float64Array,
  slope: number,
  initial: number,
  next: Float64Array,
  trialGradient: Float64Array,
): LineSearchResult {
  return strongWolfe(context.objective, x, context.f, slope, direction, initial, next, trialGradient);
}

/** direction ← −g; returns the slope gᵀd = −‖g‖². */
function steepestDescent(g: Float64Array, direction: Float64Array): number {
  let slope = 0;
  for (let i = 0; i < g.length; i++) {
    direction[i] = -g[i];
    slope -= g[i] * g[i];
  }
  return slope;
}

/** With no memory d = −g and slope = −‖g‖²: the first trial is min(1, 1/‖g‖)·lr (length ≤ lr); otherwise lr. */
function initialStep(state: LbfgsState, slope: number, lr: number): number {
  return state.count === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) * lr : lr;
}

/** Keeps θ and g of this step, from which the next step forms its pair. */
function remember(state: LbfgsState, x: Float64Array, g: Float64Array): void {
  state.previousX.set(x);
  state.previousG.set(g);
  state.hasPrevious = true;
}

/** Adds s = x − previousX, y = g − previousG at `head` when sᵀy > 1e-10 ‖s‖‖y‖. */
function rememberPair(state: LbfgsState, x: Float64Array, g: Float64Array): void {
  const dim = x.length;
  const { previousX, previousG } = state;
  let sy = 0;
  let ss = 0;
  let yy = 0;
  for (let i = 0; i < dim; i++) {
    const si = x[i] - previousX[i];
    const yi = g[i] - previousG[i];
    sy += si * yi;
    ss += si * si;
    yy += yi * yi;
  }
  if (!(sy > 1e-10 * Math.sqrt(ss) * Math.sqrt(yy)) || !Number.isFinite(sy)) return;
  const history = state.rho.length;
  const offset = state.head * dim;
  for (let i = 0; i < dim; i++) {
    state.s[offset + i] = x[i] - previousX[i];
    state.y[offset + i] = g[i] - previousG[i];
  }
  state.rho[state.head] = 1 / sy;
  state.head = (state.head + 1) % history;
  state.count = Math.min(state.count + 1, history);
}

/** direction ← −H g by the two-loop recursion; `coefficients` is scratch of length history. */
function twoLoopDirection(
  state: LbfgsState,
  g: Float64Array,
  direction: Float64Array,
  coefficients: Float64Array,
): void {
  const dim = g.length;
  const { s, y, rho, head, count } = state;
  const history = rho.length;
  const q = direction;
  q.set(g);
  for (let k = 0; k < count; k++) {
    const slot = (head - 1 - k + history) % history;
    const offset = slot * dim;
    let sq = 0;
    for (let i = 0; i < dim; i++) sq += s[offset + i] * q[i];
    const a = rho[slot] * sq;
    coefficients[k] = a;
    for (let i = 0; i < dim; i++) q[i] -= a * y[offset + i];
  }
  if (count > 0) {
    const newest = (head - 1 + history) % history;
    const offset = newest * dim;
    let yy = 0;
    for (let i = 0; i < dim; i++) yy += y[offset + i] * y[offset + i];
    // γ = sᵀy / yᵀy = 1 / (ρ yᵀy)
    const gamma = 1 / (rho[newest] * yy);
    for (let i = 0; i < dim; i++) q[i] *= gamma;
  }
  const r = q;
  for (let k = count - 1; k >= 0; k--) {
    const slot = (head - 1 - k + history) % history;
    const offset = slot * dim;
    let yr = 0;
    for (let i = 0; i < dim; i++) yr += y[offset + i] * r[i];
    const b = rho[slot] * yr;
    const a = coefficients[k];
    for (let i = 0; i < dim; i++) r[i] += s[offset + i] * (a - b);
  }
  for (let i = 0; i < dim; i++) direction[i] = -r[i];
}
