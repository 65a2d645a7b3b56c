import type { Rng } from '../random.ts';
import type { Dataset } from './dataset.ts';
import { type FilledGeneratorOptions, shuffledRows } from './generator-options.ts';

/**
 * scikit-learn's make_moons: n₀ = ⌊samples/2⌋ rows of class 0 on the upper half circle
 * (cos tᵢ, sin tᵢ) and n₁ = samples − n₀ of class 1 on (1 − cos tᵢ, ½ − sin tᵢ), with tᵢ evenly
 * spaced in [0, π] (numpy's linspace, endpoints included), plus N(0, noise²) on each coordinate;
 * rows shuffled.
 */
export function twoMoons({ samples, noise }: FilledGeneratorOptions, rng: Rng): Dataset {
  const outer = Math.floor(samples / 2);
  const X = new Float64Array(samples * 2);
  const y = new Float64Array(samples);
  for (let r = 0; r < samples; r++) {
    const inner = r >= outer;
    const count = inner ? samples - outer : outer;
    const i = inner ? r - outer : r;
    const t = count > 1 ? (Math.PI * i) / (count - 1) : 0;
    const px = inner ? 1 - Math.cos(t) : Math.cos(t);
    const py = inner ? 0.5 - Math.sin(t) : Math.sin(t);
    X[2 * r] = px + noise * rng.normal();
    X[2 * r + 1] = py + noise * rng.normal();
    y[r] = inner ? 1 : 0;
  }
  return shuffledRows({ X, y, rows: samples, features: 2, task: 'classification', classes: 2 }, rng);
}
