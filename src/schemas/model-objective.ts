import { z } from 'zod';
import type { DatasetTask } from '../core/data/dataset.ts';
import { DATASET_GENERATORS } from '../core/data/generators.ts';
import {
  type Activation,
  layerSizes,
  MODEL_DEFAULTS,
  MODEL_NAMES,
  type ModelName,
  type ModelSpec,
  type ModelTrainingOptions,
  modelTask,
  parameterCount,
} from '../core/objectives/models/spec.ts';
import type * as core from '../core/spec.ts';
import { BUILTIN_DATA_NAMES, builtinDataShape, fillBuiltinData } from '../data/builtin-datasets.ts';
import { datasetFromJson } from '../data/json-table.ts';
import { type DatasetShape, modelDataProblem, shapeOf } from '../data/model-data.ts';
import type { TabularDataset } from '../data/tabular.ts';
import type { Agrees, Assert } from './agrees.ts';
import type { FieldError } from './problem.ts';

/**
 * `{"type": "model", "model", "data", …}` (API.md "Objective", `model`): the schema of the input,
 * and its normalisation, which needs the data's shape (the parameter count `dim` depends on the
 * features and classes; which models fit on the task and targets). The caller provides the shapes
 * of stored data sets (`datasetShape`: the API reads their metadata before normalising);
 * built-ins have theirs without being generated; inline rows are parsed here (the API then stores
 * them as a data set and refers to it by id).
 */

/** Most rows a generator may make (samples); the dataset cap applies on top. */
export const MAX_GENERATED_SAMPLES = 1_000_000;
/** Most hidden layers, and units per hidden layer, of an MLP. */
export const MAX_HIDDEN_LAYERS = 16;
export const MAX_HIDDEN_UNITS = 4096;

export const builtinDataSchema = z
  .strictObject({
    builtin: z.enum(BUILTIN_DATA_NAMES).describe('A built-in data set.'),
    samples: z
      .number()
      .int()
      .min(2)
      .max(MAX_GENERATED_SAMPLES)
      .optional()
      .describe('Rows to generate (generators only; default 1000).'),
    noise: z
      .number()
      .min(0)
      .max(1e6)
      .optional()
      .describe('Standard deviation of the Gaussian noise per coordinate (generators only).'),
    classes: z
      .number()
      .int()
      .min(2)
      .max(100)
      .optional()
      .describe('Classes: spiral arms or blobs (spirals, blobs).'),
    features: z.number().int().min(1).max(1000).optional().describe('Features (blobs only; default 2).'),
  })
  .superRefine((data, ctx) => {
    const generator = data.builtin === 'iris' ? null : DATASET_GENERATORS[data.builtin];
    const refuse = (key: 'samples' | 'noise' | 'classes' | 'features', why: string) => {
      if (data[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: why });
    };
    if (generator === null) {
      for (const key of ['samples', 'noise', 'classes', 'features'] as const) {
        refuse(key, 'iris is a fixed data set (150 rows, 4 features, 3 classes): it takes no options');
      }
      return;
    }
    if (!generator.variableClasses) refuse('classes', `${data.builtin} has 2 classes`);
    if (!generator.variableFeatures) refuse('features', `${data.builtin} has 2 features`);
    const classes = data.classes ?? generator.defaults.classes;
    if (data.samples !== undefined && data.samples < classes) {
      ctx.addIssue({
        code: 'custom',
        path: ['samples'],
        message: `must be at least the number of classes (${classes})`,
      });
    }
  })
  .describe(
    'A built-in data set, regenerated from the job seed: iris (150 rows, 4 features, 3 species) or a generator (two_moons, spirals, blobs) with its options.',
  );

const dataSchema = z.union([
  z
    .strictObject({
      datasetId: z.string().min(1).max(64).describe('The id of an uploaded data set (POST /v1/datasets).'),
    })
    .describe('A data set stored with POST /v1/datasets.'),
  z
    .strictObject({
      inline: z
        .strictObject({
          X: z.array(z.array(z.unknown())).describe('Rows of feature values (numbers).'),
          y: z.array(z.unknown()).describe('One target per row: a number, or a class label (text).'),
          task: z
            .enum(['classification', 'regression'])
            .optional()
            .describe('What y is (default: inferred, as for uploads).'),
        })
        .describe('Rows in the spec (within the request body limit); stored as a data set on submit.'),
    })
    .describe(
      'Inline rows: stored as a data set on submit, and referred to by its id in the normalised spec.',
    ),
  builtinDataSchema,
]);

export const modelObjectiveSchema = z
  .strictObject({
    type: z.literal('model'),
    model: z
      .enum(MODEL_NAMES)
      .describe(
        'linear_regression (MSE), logistic_regression (binary cross-entropy), softmax_regression (cross-entropy), mlp.',
      ),
    data: dataSchema,
    hidden: z
      .array(z.number().int().min(1).max(MAX_HIDDEN_UNITS))
      .max(MAX_HIDDEN_LAYERS)
      .optional()
      .describe(`mlp: units per hidden layer (default [16, 16]; at most ${MAX_HIDDEN_LAYERS} layers).`),
    activation: z
      .enum(['tanh', 'relu'])
      .optional()
      .describe("mlp: the hidden layers' activation (default tanh)."),
    task: z
      .enum(['classification', 'regression'])
      .optional()
      .describe("mlp: softmax cross-entropy over the classes, or MSE (default: the data set's task)."),
    l2: z
      .number()
      .min(0)
      .finite()
      .default(0)
      .describe('λ of the penalty (λ/2)·‖W‖² over weights, not biases.'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe('Rows per mini-batch step (seeded reshuffle each epoch); null: the full training batch.'),
    validationFraction: z
      .number()
      .min(0)
      .lt(1)
      .default(0.2)
      .describe('Share of rows held out for validation (stratified for classification), by a seeded split.'),
    standardize: z
      .boolean()
      .default(true)
      .describe("Scale features by the training split's mean and standard deviation."),
    dim: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'The parameter count (weights then biases, layer by layer), filled in by normalisation from the data; checked when given.',
      ),
  })
  .superRefine((objective, ctx) => {
    if (objective.model === 'mlp') return;
    for (const key of ['hidden', 'activation', 'task'] as const) {
      if (objective[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `only mlp takes ${key}; ${objective.model} does not`,
        });
      }
    }
  })
  .describe('A model fitted to data, mini-batch aware (API.md "Objective", model).');

type ParsedModelObjective = z.output<typeof modelObjectiveSchema>;

export type ModelSchemasAgreeWithCore = [
  Assert<Agrees<ParsedModelObjective['model'], ModelName>>,
  Assert<Agrees<Exclude<ParsedModelObjective['activation'], undefined>, Activation>>,
  Assert<Agrees<Exclude<ParsedModelObjective['task'], undefined>, DatasetTask>>,
  Assert<Agrees<Pick<ParsedModelObjective, keyof ModelTrainingOptions>, ModelTrainingOptions>>,
];

export interface ModelDataContext {
  /**
   * The shape of a stored data set of the caller (undefined: there is none). Absent where no
   * store exists (`descent run`): a datasetId is then refused.
   */
  datasetShape?: (id: string) => DatasetShape | undefined;
  /** Most numbers (rows × (features + 1)) of inline data. */
  maxDatasetNumbers?: number;
}

export type ModelNormalizeResult =
  | { ok: true; objective: core.ModelObjectiveSpec; shape: DatasetShape; inline: TabularDataset | null }
  | { ok: false; errors: FieldError[] };

const PATH = 'objective';

/**
 * The normalised model objective: defaults filled in (mlp: hidden [16, 16], tanh, the data's
 * task), built-in data with its generator options, inline rows parsed (returned as `inline`), and
 * `dim` from the data's shape. Refused, with the field path: data the model cannot train on
 * (classes for regression targets, text labels for a regression, logistic regression on other
 * than 2 classes), an unknown data set, and a `dim` that does not match.
 */
export function normalizeModelObjective(
  parsed: ParsedModelObjective,
  context: ModelDataContext,
): ModelNormalizeResult {
  const error = (path: string, message: string): ModelNormalizeResult => ({
    ok: false,
    errors: [{ path: `${PATH}.${path}`, message }],
  });
  const given = parsed.data;
  let data: core.DataSpec;
  let shape: DatasetShape;
  let inline: TabularDataset | null = null;
  if ('datasetId' in given) {
    if (context.datasetShape === undefined) {
      return error(
        'data.datasetId',
        'a datasetId names data stored on a descent server, and `descent run` runs without one: give the data ' +
          'inline ({"inline": {"X", "y"}}) or built-in ({"builtin": …}), or send the spec with `descent submit`',
      );
    }
    const found = context.datasetShape(given.datasetId);
    if (found === undefined)
      return error('data.datasetId', `no data set '${given.datasetId}' (upload one with POST /v1/datasets)`);
    data = { datasetId: given.datasetId };
    shape = found;
  } else if ('inline' in given) {
    const table = datasetFromJson(given.inline.X, given.inline.y, {
      task: given.inline.task,
      pathPrefix: `${PATH}.data.inline.`,
      maxNumbers: context.maxDatasetNumbers,
    });
    if (!table.ok) return { ok: false, errors: table.errors };
    inline = table.dataset;
    data = { inline: given.inline as core.InlineData };
    shape = shapeOf(inline);
  } else {
    data = fillBuiltinData(given);
    shape = builtinDataShape(data);
  }

  const training: ModelTrainingOptions = {
    l2: parsed.l2,
    batchSize: parsed.batchSize,
    validationFraction: parsed.validationFraction,
    standardize: parsed.standardize,
  };
  const spec: ModelSpec =
    parsed.model === 'mlp'
      ? {
          model: 'mlp',
          hidden: parsed.hidden ?? [...MODEL_DEFAULTS.hidden],
          activation: parsed.activation ?? MODEL_DEFAULTS.activation,
          task: parsed.task ?? shape.task,
          ...training,
        }
      : { model: parsed.model, ...training };
  const task = modelTask(spec);
  const problem = modelDataProblem(shape, task, spec.model === 'mlp' ? `mlp (task ${task})` : spec.model);
  if (problem !== null)
    return error(spec.model === 'mlp' && parsed.task !== undefined ? 'task' : 'model', problem);
  if (spec.model === 'logistic_regression' && shape.classes !== 2) {
    return error(
      'model',
      `logistic_regression needs exactly 2 classes; the data set has ${shape.classes} (use softmax_regression)`,
    );
  }
  if (shape.rows < 2) return error('data', `the data set has ${shape.rows} row; a model needs at least 2`);
  const dim = parameterCount(layerSizes(spec, shape.features, shape.classes));
  if (parsed.dim !== undefined && parsed.dim !== dim) {
    return error(
      'dim',
      `the model has ${dim} parameters (weights and biases) on this data, not ${parsed.dim}; leave dim out and it is filled in`,
    );
  }
  // Field order of the normalised spec: type, model, data, the model's options, dim.
  const objective = Object.assign({ type: 'model' as const, model: spec.model, data }, spec, { dim });
  return { ok: true, objective, shape, inline };
}

/**
 * The default `record.every` of a model run: about once per epoch, ⌈training rows / batchSize⌉
 * (1 with the full batch), so that validation, which costs a pass over the validation rows, is
 * evaluated about as often as a training epoch completes, not every mini-batch step.
 */
export function epochStride(objective: core.ModelObjectiveSpec, shape: DatasetShape): number {
  const rows = shape.rows;
  if (objective.batchSize === null) return 1;
  const training = rows - Math.round(objective.validationFraction * rows);
  return Math.max(1, Math.ceil(training / objective.batchSize));
}
