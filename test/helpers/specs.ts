import type { JobSpec } from '../../src/schemas/job-spec.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';

/** A normalised spec (seed 7 unless given); fails loudly when invalid. */
export function makeSpec(input: Record<string, unknown> = {}): JobSpec {
  const normalized = normalizeJobSpec({
    objective: { type: 'builtin', name: 'rosenbrock' },
    optimizer: { name: 'adam', lr: 0.01 },
    seed: 7,
    ...input,
  });
  if (!normalized.ok) throw new Error(`invalid test spec: ${JSON.stringify(normalized.errors)}`);
  return normalized.spec;
}

/** Points without the wall-clock field `t`, for exact comparisons. */
export function withoutTime<T extends { t?: number }>(points: T[]): Omit<T, 't'>[] {
  return points.map(({ t: _t, ...rest }) => rest);
}
