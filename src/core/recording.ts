/**
 * Trajectory thinning. Points are recorded at every multiple of a stride, plus the final
 * iteration. The stride is `record.every`, raised to the smallest multiple of it for which the
 * longest possible run (maxIterations) stays within `record.maxPoints`:
 *
 *   stride = every · ⌈M / (every · (P − 2))⌉   when ⌊M / every⌋ + 2 > P,
 *
 * with M = maxIterations and P = maxPoints (P − 2 leaves room for point 0 and the final point).
 * Thinning is therefore even, decided before the run starts (points can be streamed live and
 * never need to be taken back), and always keeps point 0 and the final point.
 */
export function recordStride(every: number, maxIterations: number, maxPoints: number): number {
  if (Math.floor(maxIterations / every) + 2 <= maxPoints) return every;
  if (maxPoints <= 2) return Number.POSITIVE_INFINITY;
  return every * Math.ceil(maxIterations / (every * (maxPoints - 2)));
}

/**
 * The most points a run records: point 0, the multiples of the stride, and the final iteration,
 * ⌊M / stride⌋ + 2 at most (and never more than the M + 1 iterations there are).
 */
export function recordedPoints(every: number, maxIterations: number, maxPoints: number): number {
  const stride = recordStride(every, maxIterations, maxPoints);
  return Math.min(maxIterations + 1, Math.floor(maxIterations / stride) + 2);
}
