/**
 * Line searches along a direction d from x, for Newton (backtracking) and L-BFGS (strong Wolfe).
 * φ(α) = f(x + α d), φ'(α) = ∇f(x + α d)ᵀ d. They evaluate through the counted objective and
 * write trial points into caller-owned scratch buffers; they never move x themselves.
 */
import type { Objective } from '../types.ts';

/** Sufficient-decrease constant c₁ of the Armijo condition φ(α) ≤ φ(0) + c₁ α φ'(0). */
export const ARMIJO_C1 = 1e-4;
/** Curvature constant c₂ of the strong Wolfe condition |φ'(α)| ≤ c₂ |φ'(0)| (quasi-Newton value). */
export const WOLFE_C2 = 0.9;

/** out ← x + α d, returning Σ out·0 (0 when every entry is finite, NaN otherwise; see Optimizer.step). */
export function moveAlong(out: Float64Array, x: Float64Array, d: Float64Array, step: number): number {
  let poison = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] + step * d[i];
    out[i] = xi;
    poison += xi * 0;
  }
  return poison;
}

/** out ← x (no step: what a failed line search writes), returning Σ x·0 as moveAlong does. */
export function stayAt(out: Float64Array, x: Float64Array): number {
  let poison = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = x[i];
    poison += x[i] * 0;
  }
  return poison;
}

export interface BacktrackingOptions {
  c1?: number;
  /** Factor applied to α after each rejected trial. */
  shrink?: number;
  maxTries?: number;
}

/**
 * Armijo backtracking: tries α = α₀, α₀/2, α₀/4, … and accepts the first α with
 *   f(x + α d) ≤ f(x) + c₁ α gᵀd,
 * or fails with step 0 when `maxTries` trials all fail (no step the search could resolve
 * decreases f along d). A non-finite f(x + α d) counts as a failure. `slope` = gᵀd must be
 * negative (a descent direction); callers decide what to do otherwise.
 *
 * Each trial is evaluated with its gradient, into `trial` and `trialGrad`: the accepted trial is
 * always the last one evaluated (`evaluated`), so the caller's next iterate needs no evaluation
 * of its own.
 */
export function backtrackingArmijo(
  objective: Objective,
  x: Float64Array,
  f0: number,
  slope: number,
  d: Float64Array,
  initialStep: number,
  trial: Float64Array,
  trialGrad: Float64Array,
  { c1 = ARMIJO_C1, shrink = 0.5, maxTries = 40 }: BacktrackingOptions = {},
): LineSearchResult {
  let step = initialStep;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const poison = moveAlong(trial, x, d, step);
    const f = objective.valueAndGradient(trial, trialGrad);
    if (f <= f0 + c1 * step * slope) return { step, f, converged: true, evaluated: true, poison };
    step *= shrink;
  }
  return LINE_SEARCH_FAILED;
}

export interface StrongWolfeOptions {
  c1?: number;
  c2?: number;
  /** Evaluations allowed in the bracketing phase (Alg. 3.5), each doubling α. */
  maxBracket?: number;
  /** Evaluations allowed in zoom (Alg. 3.6). */
  maxZoom?: number;
}

export interface LineSearchResult {
  /** The accepted step; 0 when no point with sufficient decrease was found (the search failed). */
  step: number;
  /** f at x + step·d (NaN when the search failed). */
  f: number;
  /** Whether `step` satisfies all the search's conditions (both strong Wolfe conditions; Armijo's). */
  converged: boolean;
  /**
   * Whether the trial buffers hold the accepted point x + step·d and ∇f there: true when the
   * accepted step was the last one evaluated (almost always), so the caller can reuse f and ∇f
   * instead of evaluating the new iterate again.
   */
  evaluated: boolean;
  /** Σ trial·0 when `evaluated` (see moveAlong); 0 otherwise. */
  poison: number;
}

/** What a search that found no step with sufficient decrease returns. */
const LINE_SEARCH_FAILED: LineSearchResult = Object.freeze({
  step: 0,
  f: Number.NaN,
  converged: false,
  evaluated: false,
  poison: 0,
});

/**
 * Line search for the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6):
 *   φ(α) ≤ φ(0) + c₁ α φ'(0)   and   |φ'(α)| ≤ c₂ |φ'(0)|.
 * Bracketing starts at α₀ and doubles α; zoom picks the minimiser of the cubic interpolating
 * φ and φ' at the bracket ends (N&W eq. 3.59), safeguarded to the middle 80 % of the bracket and
 * replaced by bisection when the cubic has no minimiser there. When the evaluation budget runs out
 * it returns the lowest point with sufficient decrease found so far (`converged: false`), or fails
 * with step 0 when there is none. `slope0` = gᵀd must be negative. Trials are evaluated into
 * `trial` and `trialGrad`; `evaluated` tells whether they hold the accepted point.
 */
export function strongWolfe(
  objective: Objective,
  x: Float64Array,
  f0: number,
  slope0: number,
  d: Float64Array,
  initialStep: number,
  trial: Float64Array,
  trialGrad: Float64Array,
  { c1 = ARMIJO_C1, c2 = WOLFE_C2, maxBracket = 25, maxZoom = 30 }: StrongWolfeOptions = {},
): LineSearchResult {
  const curvatureBound = -c2 * slope0;
  let lastSlope = 0;
  /** The step whose point and gradient the trial buffers hold (0: none yet). */
  let lastStep = 0;
  let lastPoison = 0;
  /** Returns φ(α) and leaves φ'(α) in lastSlope. */
  const evaluate = (step: number): number => {
    lastPoison = moveAlong(trial, x, d, step);
    lastStep = step;
    const f = objective.valueAndGradient(trial, trialGrad);
    let slope = 0;
    for (let i = 0; i < d.length; i++) slope += trialGrad[i] * d[i];
    lastSlope = slope;
    return f;
  };
  const sufficientDecrease = (step: number, f: number): boolean => f <= f0 + c1 * step * slope0;
  /** The outcome for an accepted step (0: the search failed). */
  const accept = (step: number, f: number, converged: boolean): LineSearchResult => {
    if (step === 0) return LINE_SEARCH_FAILED;
    const evaluated = step === lastStep;
    return { step, f, converged, evaluated, poison: evaluated ? lastPoison : 0 };
  };

  /** Alg. 3.6: `lo` satisfies sufficient decrease and has the lowest φ among such points so far. */
  const zoom = (
    lo: number,
    fLo: number,
    slopeLo: number,
    hi: number,
    fHi: number,
    slopeHi: number,
  ): LineSearchResult => {
    for (let j = 0; j < maxZoom; j++) {
      const step = interpolate(lo, fLo, slopeLo, hi, fHi, slopeHi);
      if (step === lo || step === hi) break; // the bracket has shrunk to rounding level
      const f = evaluate(step);
      const slope = lastSlope;
      if (!sufficientDecrease(step, f) || f >= fLo) {
        hi = step;
        fHi = f;
        slopeHi = slope;
      } else {
        if (Math.abs(slope) <= curvatureBound) return accept(step, f, true);
        if (slope * (hi - lo) >= 0) {
          hi = lo;
          fHi = fLo;
          slopeHi = slopeLo;
        }
        lo = step;
        fLo = f;
        slopeLo = slope;
      }
    }
    return accept(lo, fLo, false);
  };

  // Alg. 3.5: bracket a step interval that contains strong Wolfe points.
  let previousStep = 0;
  let previousF = f0;
  let previousSlope = slope0;
  let step = initialStep;
  for (let i = 0; i < maxBracket; i++) {
    const f = evaluate(step);
    const slope = lastSlope;
    if (!sufficientDecrease(step, f) || (i > 0 && f >= previousF)) {
      return zoom(previousStep, previousF, previousSlope, step, f, slope);
    }
    if (Math.abs(slope) <= curvatureBound) return accept(step, f, true);
    if (slope >= 0) return zoom(step, f, slope, previousStep, previousF, previousSlope);
    previousStep = step;
    previousF = f;
    previousSlope = slope;
    step *= 2;
  }
  return accept(previousStep, previousF, false);
}

/**
 * Minimiser of the cubic through (a, fa, fa') and (b, fb, fb') (N&W eq. 3.59), kept inside the
 * middle 80 % of [a, b]; the midpoint when the cubic gives nothing usable there (non-finite
 * values, no real minimiser).
 */
function interpolate(a: number, fa: number, slopeA: number, b: number, fb: number, slopeB: number): number {
  const midpoint = a + 0.5 * (b - a);
  const d1 = slopeA + slopeB - (3 * (fa - fb)) / (a - b);
  const radicand = d1 * d1 - slopeA * slopeB;
  if (!(radicand >= 0)) return midpoint;
  const d2 = Math.sign(b - a) * Math.sqrt(radicand);
  const step = b - ((b - a) * (slopeB + d2 - d1)) / (slopeB - slopeA + 2 * d2);
  const low = Math.min(a, b);
  const width = Math.abs(b - a);
  if (!(step >= low + 0.1 * width && step <= low + 0.9 * width)) return midpoint;
  return step;
}
