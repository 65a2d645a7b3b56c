import type { Result } from '../../src/core/types.ts';

/** A plausible Result of a 2-D run, for store and stream tests that need a finished job. */
export function sampleResult(overrides: Partial<Result> = {}): Result {
  return {
    stopReason: 'max_iterations',
    converged: false,
    device: { kind: 'cpu', precision: 'float64', adapter: null },
    x: [1, 2],
    f: 0.5,
    gradNorm: 0.25,
    iterations: 10,
    evaluations: { f: 11, gradient: 11, hessian: 0 },
    best: { iteration: 10, f: 0.5, x: [1, 2] },
    diagnostics: { stationaryPoint: null, conditionNumber: null },
    wallMs: 1.5,
    ...overrides,
  };
}
