/**
 * Learning-rate schedules: a factor s(t) on the base lr at the 0-based step index t (step i of a
 * run uses t = i − 1). Each schedule is a plain function of t below; `createSchedule` wraps the
 * one a spec names as a {@link Schedule}. Only `plateau` has state (plain data, checkpointed).
 */
import type { ScheduleSpec } from './spec.ts';
import type { PlainState, Schedule } from './types.ts';

/** constant: s(t) = 1 */
export function constantFactor(): number {
  return 1;
}

/** step: s(t) = γ^⌊t / stepSize⌋ */
export function stepFactor(t: number, stepSize: number, gamma: number): number {
  return gamma ** Math.floor(t / stepSize);
}

/** exponential: s(t) = γ^t */
export function exponentialFactor(t: number, gamma: number): number {
  return gamma ** t;
}

/** cosine: s(t) = m + (1 − m)(1 + cos(π·min(t, P)/P))/2, m = minFactor, P = period */
export function cosineFactor(t: number, period: number, minFactor: number): number {
  return minFactor + ((1 - minFactor) * (1 + Math.cos((Math.PI * Math.min(t, period)) / period))) / 2;
}

/** inverse_sqrt: s(t) = 1/√(1 + t) */
export function inverseSqrtFactor(t: number): number {
  return 1 / Math.sqrt(1 + t);
}

/**
 * one_cycle (Smith's 1cycle, linear rise and cosine anneal), with T = pctStart·P and p = peakFactor:
 *   s(t) = 1 + (p − 1)·t/T                                   for t ≤ T
 *   s(t) = p·(1 + cos(π·min(t − T, P − T)/(P − T)))/2          for t > T
 * It starts at the base lr (s(0) = 1), peaks at p·lr at t = T and reaches 0 at t = P (and stays
 * there); with the default P (see defaultPeriod) the last step has a small positive rate.
 */
export function oneCycleFactor(t: number, period: number, peakFactor: number, pctStart: number): number {
  const rise = pctStart * period;
  if (t <= rise) return 1 + ((peakFactor - 1) * t) / rise;
  const annealLength = period - rise;
  return (peakFactor * (1 + Math.cos((Math.PI * Math.min(t - rise, annealLength)) / annealLength))) / 2;
}

/** warmup (while t < steps): s(t) = startFactor + (1 − startFactor)·t/steps */
export function warmupFactor(t: number, steps: number, startFactor: number): number {
  return startFactor + ((1 - startFactor) * t) / steps;
}

/**
 * plateau state: `scale` is the current factor, `best` the lowest value seen (null before the
 * first observation; JSON has no Infinity), `badCount` observations since the last improvement.
 */
export type PlateauState = { scale: number; best: number | null; badCount: number };

export interface PlateauOptions {
  factor: number;
  patience: number;
  threshold: number;
}

/**
 * plateau (torch ReduceLROnPlateau, mode "min", relative threshold): s(t) = factor^k after k
 * reductions. An observed value improves when value < best − threshold·|best| (= best·(1 −
 * threshold) for best > 0, and still "lower by a margin" for best ≤ 0); the first observation
 * always does. After more than `patience` observations in a row without improvement the scale is
 * multiplied by `factor` and the count restarts. A non-finite value never improves.
 */
export function observePlateau(state: PlateauState, value: number, options: PlateauOptions): void {
  const best = state.best;
  const improved =
    Number.isFinite(value) && (best === null || value < best - options.threshold * Math.abs(best));
  if (improved) {
    state.best = value;
    state.badCount = 0;
    return;
  }
  state.badCount++;
  if (state.badCount > options.patience) {
    state.scale *= options.factor;
    state.badCount = 0;
  }
}

/**
 * The default `period` P of cosine and one_cycle (API.md, Schedule): the steps left after the
 * warmup, P = max(1, maxIterations − warmup steps). The wrapped schedule sees t − steps, so its
 * anneal spans the run's last P steps whatever the warmup; without this default a warmup of w
 * steps cut the anneal short by w steps.
 *
 * The formulas reach their end value (minFactor; one_cycle's 0) at t = P, and the last step of a
 * run has t = maxIterations − 1, so that step's factor is the formula one step before the end:
 * cosine m + (1 − m)(1 − cos(π/P))/2 ≤ m + (1 − m)·π²/(4P²) (torch's CosineAnnealingLR with
 * T_max = the number of steps reads the same way).
 */
export function defaultPeriod(maxIterations: number, warmupSteps = 0): number {
  return Math.max(1, Math.floor(maxIterations) - warmupSteps);
}

/**
 * The schedule a spec names. `period` of cosine and one_cycle defaults to
 * {@link defaultPeriod} (as normalizeSchedule fills it). With `warmup`, s(t) is the warmup ramp
 * while t < steps and the wrapped schedule at t − steps afterwards; a plateau keeps observing
 * during warmup.
 */
export function createSchedule(spec: ScheduleSpec, maxIterations: number): Schedule {
  const warmup = spec.warmup;
  const base = baseSchedule(spec, defaultPeriod(maxIterations, warmup?.steps));
  return warmup ? new WarmupSchedule(base, warmup.steps, warmup.startFactor) : base;
}

// Schedules are class instances, not objects of closures: the run loop calls `factor` every
// step, and a fresh closure per run is a new call target there, which V8 answers by
// deoptimizing the loop whenever a run starts. A class method is one function for every run.

/** A stateless schedule: s(t) = formula(t, a, b, c), its parameters held as fields. */
class FormulaSchedule implements Schedule<null> {
  constructor(
    private readonly formula: (t: number, a: number, b: number, c: number) => number,
    private readonly a = 0,
    private readonly b = 0,
    private readonly c = 0,
  ) {}

  init(): null {
    return null;
  }

  factor(t: number): number {
    return this.formula(t, this.a, this.b, this.c);
  }
}

/** The warmup ramp while t < steps, then the wrapped schedule at t − steps (it keeps observing). */
class WarmupSchedule implements Schedule {
  readonly observe?: (value: number, state: PlainState) => void;

  constructor(
    private readonly base: Schedule,
    private readonly steps: number,
    private readonly startFactor: number,
  ) {
    if (base.observe) this.observe = base.observe.bind(base);
  }

  init(): PlainState {
    return this.base.init();
  }

  factor(t: number, state: PlainState): number {
    return t < this.steps
      ? warmupFactor(t, this.steps, this.startFactor)
      : this.base.factor(t - this.steps, state);
  }
}

class PlateauSchedule implements Schedule<PlateauState> {
  constructor(private readonly options: PlateauOptions) {}

  init(): PlateauState {
    return { scale: 1, best: null, badCount: 0 };
  }

  factor(_t: number, state: PlateauState): number {
    return state.scale;
  }

  observe(value: number, state: PlateauState): void {
    observePlateau(state, value, this.options);
  }
}

/** The base schedule (no warmup); `period` is used where the spec leaves cosine's or one_cycle's unset. */
function baseSchedule(spec: ScheduleSpec, period: number): Schedule {
  switch (spec.type) {
    case 'constant':
      return new FormulaSchedule(constantFactor);
    case 'step':
      return new FormulaSchedule(stepFactor, spec.stepSize, spec.gamma);
    case 'exponential':
      return new FormulaSchedule(exponentialFactor, spec.gamma);
    case 'cosine':
      return new FormulaSchedule(cosineFactor, spec.period ?? period, spec.minFactor);
    case 'inverse_sqrt':
      return new FormulaSchedule(inverseSqrtFactor);
    case 'one_cycle':
      return new FormulaSchedule(oneCycleFactor, spec.period ?? period, spec.peakFactor, spec.pctStart);
    case 'plateau':
      return new PlateauSchedule(spec) as Schedule;
  }
}
