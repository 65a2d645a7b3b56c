import { Rng } from '../random.ts';
import { blobs } from './blobs.ts';
import type { Dataset } from './dataset.ts';
import type { FilledGeneratorOptions, GeneratorOptions } from './generator-options.ts';
import { spirals } from './spirals.ts';
import { twoMoons } from './two-moons.ts';

export type GeneratorName = 'two_moons' | 'spirals' | 'blobs';

export interface GeneratorDefinition {
  name: GeneratorName;
  description: string;
  /** Defaults; `classes` and `features` are fixed for two_moons (2 and 2) and spirals (features 2). */
  defaults: FilledGeneratorOptions;
  /** Whether `classes` / `features` may be chosen. */
  variableClasses: boolean;
  variableFeatures: boolean;
  generate(options: FilledGeneratorOptions, rng: Rng): Dataset;
}

export const DATASET_GENERATORS: Record<GeneratorName, GeneratorDefinition> = {
  two_moons: {
    name: 'two_moons',
    description:
      'Two interleaving half circles (scikit-learn make_moons): class 0 on (cos t, sin t), class 1 on (1 − cos t, ½ − sin t), t in [0, π], plus N(0, noise²) per coordinate.',
    defaults: { samples: 1000, noise: 0.1, classes: 2, features: 2 },
    variableClasses: false,
    variableFeatures: false,
    generate: twoMoons,
  },
  spirals: {
    name: 'spirals',
    description:
      '`classes` interleaved spiral arms: arm k at radius r = t and angle 2πk/K + 3πt (1.5 turns), t in (0, 1], plus N(0, noise²) per coordinate.',
    defaults: { samples: 1000, noise: 0.05, classes: 2, features: 2 },
    variableClasses: true,
    variableFeatures: false,
    generate: spirals,
  },
  blobs: {
    name: 'blobs',
    description:
      '`classes` isotropic Gaussian clusters (scikit-learn make_blobs): centres uniform in [−10, 10]^features, standard deviation `noise`.',
    defaults: { samples: 1000, noise: 1, classes: 3, features: 2 },
    variableClasses: true,
    variableFeatures: true,
    generate: blobs,
  },
};

/**
 * A generated data set, deterministic per (options, seed). Rows come shuffled (as scikit-learn's
 * `shuffle=True`), and each class gets ⌊samples/K⌋ rows, the first samples mod K classes one more
 * (two_moons: class 0 gets ⌊samples/2⌋, as make_moons).
 */
export function generateDataset(name: GeneratorName, options: GeneratorOptions, seed: number): Dataset {
  const definition = DATASET_GENERATORS[name];
  const filled: FilledGeneratorOptions = { ...definition.defaults };
  if (options.samples !== undefined) filled.samples = options.samples;
  if (options.noise !== undefined) filled.noise = options.noise;
  if (definition.variableClasses && options.classes !== undefined) filled.classes = options.classes;
  if (definition.variableFeatures && options.features !== undefined) filled.features = options.features;
  return definition.generate(filled, Rng.fromSeed(seed));
}
