import { StructLayout } from './struct-layout.ts';

/**
 * The three structs every run kernel shares (see run-shaders.ts): the run's constants, its
 * device-side state, and one iteration's parameters.
 */

/** Constants of one run: sizes, hyperparameters, stop rules, objective parameters. */
export const CONFIG = new StructLayout('Config', [
  ['n', 'u32'],
  /** Workgroups of the objective pass, each leaving one partial sum. */
  ['partialCount', 'u32'],
  ['hasTarget', 'u32'],
  ['hasFTol', 'u32'],
  /** 1 when clipNorm is set. */
  ['hasClip', 'u32'],
  /** 1 when the schedule is a plateau (observed on the device). */
  ['observePlateau', 'u32'],
  ['plateauPatience', 'u32'],
  ['baseLr', 'f32'],
  ['clipNorm', 'f32'],
  /** momentum ρ, rmsprop β, adam β₁ */
  ['beta1', 'f32'],
  /** 1 − beta1, computed in float64 then rounded */
  ['oneMinusBeta1', 'f32'],
  ['beta2', 'f32'],
  ['oneMinusBeta2', 'f32'],
  ['eps', 'f32'],
  ['weightDecay', 'f32'],
  ['gradTol', 'f32'],
  ['targetValue', 'f32'],
  ['fTol', 'f32'],
  ['plateauFactor', 'f32'],
  ['plateauThreshold', 'f32'],
  /** Objective parameters, per objective (objective-kernels.ts). */
  ['p0', 'f32'],
  ['p1', 'f32'],
  ['p2', 'f32'],
  ['p3', 'f32'],
] as const);

/**
 * The run state on the device. The iterates live in three regions of one buffer: `cur` holds
 * xᵢ, `prev` x₍ᵢ₋₁₎ (the last healthy iterate should xᵢ diverge), `best` the lowest-f iterate.
 * A step writes into `prev` unless that holds the best, else into the third region (the CPU
 * run's buffer juggling, run.ts `writableBuffer`), so tracking the best costs no copy.
 */
export const STATE = new StructLayout('RunState', [
  ['cur', 'u32'],
  ['prev', 'u32'],
  ['best', 'u32'],
  /** A DEVICE_STOP code; 0 while running. Every kernel is a no-op once it is set. */
  ['stopCode', 'u32'],
  ['stopIteration', 'u32'],
  ['bestIteration', 'u32'],
  ['plateauBadCount', 'u32'],
  ['plateauHasBest', 'u32'],
  ['f', 'f32'],
  ['gradNorm', 'f32'],
  ['lr', 'f32'],
  ['f0', 'f32'],
  ['prevF', 'f32'],
  ['prevGradNorm', 'f32'],
  ['prevLr', 'f32'],
  /** FLOAT32_MAX before the first healthy evaluation. */
  ['bestF', 'f32'],
  ['divergenceLimit', 'f32'],
  ['plateauScale', 'f32'],
  ['plateauBest', 'f32'],
  /** Ackley's Σxᵢ², Σcos(c xᵢ) and count of non-finite xᵢ, between its two passes. */
  ['sumA', 'f32'],
  ['sumB', 'f32'],
  ['sumBad', 'f32'],
] as const);

/**
 * Evaluation modes of a finalize pass; a model's validation passes (model-shaders.ts) read the
 * current iterate, or the previous one (after a divergence).
 */
export const MODE = { start: 0, step: 1, measure: 2, validateCurrent: 3, validatePrevious: 4 } as const;

/** One evaluation's parameters, at a dynamic offset of the params buffer (one 256-byte slot each). */
export const PARAMS = new StructLayout('StepParams', [
  ['iteration', 'u32'],
  /** Ring slot of this evaluation's stats. */
  ['slot', 'u32'],
  /** A MODE value. */
  ['mode', 'u32'],
  ['usePlateau', 'u32'],
  ['recordSlot', 'u32'],
  /** lrᵢ from the host's schedule. */
  ['lr', 'f32'],
  /** 1 / (1 − β₁ᵗ) and 1 / (1 − β₂ᵗ), from the host (float64, rounded). */
  ['biasCorrection1', 'f32'],
  ['biasCorrection2', 'f32'],
] as const);

export const FLOAT32_MAX = 3.4028234663852886e38;
