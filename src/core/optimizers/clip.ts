/**
 * Gradient clipping by norm, applied by the run loop before every update when `clipNorm` is set:
 *   g ← g · clipNorm / ‖g‖   when ‖g‖ > clipNorm.
 * `gradNorm` is ‖g‖₂ of the gradient as passed (with any added noise), computed by the caller.
 * Rescales g in place and returns its norm afterwards. A non-finite norm leaves g as it is, so
 * the run loop still sees the divergence.
 */
export function clipGradient(g: Float64Array, clipNorm: number, gradNorm: number): number {
  if (!(gradNorm > clipNorm) || !Number.isFinite(gradNorm)) return gradNorm;
  const scale = clipNorm / gradNorm;
  for (let i = 0; i < g.length; i++) g[i] *= scale;
  return clipNorm;
}
