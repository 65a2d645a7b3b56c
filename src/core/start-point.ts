import { builtins } from './objectives/builtins/index.ts';
import type { DataObjective } from './objectives/models/data-objective.ts';
import { Rng } from './random.ts';
import type { JobSpec } from './spec.ts';

/** Stream tag mixed into the seed so the start draw and the gradient noise are independent. */
const START_STREAM = 0x73746172;

/**
 * x₀ from the normalised spec: explicit `x0`; the objective's standard start (a model's own, from
 * `model`: Glorot for the MLP, zeros otherwise); or a seeded draw, scale·N(0, 1) or uniform in
 * [−scale, scale) per coordinate.
 */
export function startPoint(
  spec: JobSpec,
  dim: number,
  model: Pick<DataObjective, 'defaultStart'> | null = null,
): Float64Array {
  const start = spec.start;
  if ('x0' in start) return Float64Array.from(start.x0);
  if ('standard' in start) {
    if (model !== null) return model.defaultStart();
    if (spec.objective.type === 'builtin') {
      return builtins[spec.objective.name].defaultStart(dim, spec.objective.params);
    }
    return new Float64Array(dim);
  }
  const rng = Rng.fromSeed(spec.seed ^ START_STREAM);
  const { distribution, scale } = start.random;
  const x = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    x[j] = distribution === 'normal' ? scale * rng.normal() : scale * (2 * rng.uniform() - 1);
  }
  return x;
}
