import type { JobSpec } from '../../src/schemas/job-spec.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';

export { withoutTime } from '../helpers/specs.ts';

/** Normalises a spec for tests, failing loudly with the field errors when it is invalid. */
export function spec(input: Record<string, unknown>): JobSpec {
  const normalized = normalizeJobSpec({ seed: 7, ...input });
  if (!normalized.ok) throw new Error(`invalid test spec: ${JSON.stringify(normalized.errors)}`);
  return normalized.spec;
}

/**
 * A fake monotonic clock for Run (RunOptions.clock): each read advances it by `msPerRead`, so
 * time-budget tests depend on how often the run reads the clock, never on the machine's speed.
 */
export function steppingClock(msPerRead: number): () => number {
  let now = 0;
  return () => {
    now += msPerRead;
    return now;
  };
}
