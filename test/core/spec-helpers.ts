import type { JobSpec } from '../../src/schemas/job-spec.ts';
import { normalizeJobSpec } from '../../src/schemas/job-spec.ts';

export { withoutTime } from '../helpers/specs.ts';

/** Normalises a spec for tests, failing loudly with the field errors when it is invalid. */
export function spec(input: Record<string, unknown>): JobSpec {
  const normalized = normalizeJobSpec({ seed: 7, ...input });
  if (!normalized.ok) throw new Error(`invalid test spec: ${JSON.stringify(normalized.errors)}`);
  return normalized.spec;
}
