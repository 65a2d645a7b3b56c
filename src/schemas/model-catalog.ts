/**
 * GET /v1/catalog/models: every model with its options (defaults, valid ranges), and the built-in
 * data sets with their shapes and generator options. Options, ranges and descriptions are read
 * from the zod schemas (model-objective.ts) through their JSON Schema, as the optimizer catalog
 * does, so the catalog cannot drift from what validation accepts; the defaults of the generators
 * come from the core's DATASET_GENERATORS.
 */
import { z } from 'zod';
import { DATASET_GENERATORS, type GeneratorName } from '../core/data/generators.ts';
import { MODEL_DEFAULTS, MODEL_NAMES, type ModelName } from '../core/objectives/models/spec.ts';
import { irisDataset } from '../data/builtin-datasets.ts';
import { builtinDataSchema, modelObjectiveSchema } from './model-objective.ts';
import { named } from './openapi-registry.ts';
import { type JsonSchemaProperty, rangeOf } from './optimizer-catalog.ts';

const optionSchema = z.object({
  name: z.string(),
  type: z
    .string()
    .describe('"number" | "integer" | "boolean" | "string" | "array" (strings are enums: see range).'),
  default: z
    .union([z.number(), z.boolean(), z.string(), z.array(z.number())])
    .nullable()
    .describe('The default normalisation fills in; null when it depends on the data (mlp task) or is none.'),
  range: z.string().describe('Valid values: an interval such as "[0, 1)", or the allowed choices.'),
  description: z.string(),
});

export const modelCatalogEntrySchema = named(
  z.object({
    name: z.enum(MODEL_NAMES),
    title: z.string(),
    task: z.string().describe('classification, regression, or either (mlp, by its `task`).'),
    loss: z.object({ text: z.string(), latex: z.string() }),
    parameters: z.string().describe('The parameter vector: weights then biases, layer by layer.'),
    hessian: z.boolean().describe('A closed-form Hessian: newton works (L-BFGS works on every model).'),
    options: z.array(optionSchema),
  }),
  'ModelCatalogEntry',
);

export const datasetCatalogEntrySchema = named(
  z.object({
    name: z.enum(['iris', 'two_moons', 'spirals', 'blobs']),
    title: z.string(),
    description: z.string(),
    rows: z.number().int().describe('Rows with the default options.'),
    features: z.number().int().describe('Features with the default options.'),
    classes: z.number().int().describe('Classes with the default options.'),
    columns: z.array(z.string()),
    target: z.string(),
    labels: z
      .array(z.string())
      .nullable()
      .describe('Class names (iris: the species in sorted order); null: 0 … K−1.'),
    options: z
      .array(optionSchema)
      .describe('Generator options (none for iris); the data comes from the job seed.'),
  }),
  'DatasetCatalogEntry',
);

export const modelCatalogSchema = z.object({
  models: z.array(modelCatalogEntrySchema),
  datasets: z.array(datasetCatalogEntrySchema),
});
export type ModelCatalog = z.output<typeof modelCatalogSchema>;

const PENALTY = ' + (l2/2)·‖W‖²';
const PENALTY_LATEX = ' + \\tfrac{\\lambda}{2}\\lVert W\\rVert^2';

const MODELS: Record<ModelName, Omit<z.output<typeof modelCatalogEntrySchema>, 'name' | 'options'>> = {
  linear_regression: {
    title: 'Linear regression',
    task: 'regression',
    loss: {
      text: `(1/n) Σ (wᵀx + b − y)²${PENALTY}`,
      latex: `\\frac{1}{n}\\sum_i (w^\\top x_i + b - y_i)^2${PENALTY_LATEX}`,
    },
    parameters: 'w (one per feature), then b',
    hessian: true,
  },
  logistic_regression: {
    title: 'Logistic regression (binary)',
    task: 'classification (exactly 2 classes)',
    loss: {
      text: `(1/n) Σ BCE(σ(wᵀx + b), y), y in {0, 1}${PENALTY}`,
      latex: `\\frac{1}{n}\\sum_i \\mathrm{BCE}(\\sigma(w^\\top x_i + b), y_i)${PENALTY_LATEX}`,
    },
    parameters: 'w (one per feature), then b',
    hessian: true,
  },
  softmax_regression: {
    title: 'Softmax (multinomial logistic) regression',
    task: 'classification',
    loss: {
      text: `(1/n) Σ −log softmax(Wx + b)_y${PENALTY}`,
      latex: `\\frac{1}{n}\\sum_i -\\log \\operatorname{softmax}(W x_i + b)_{y_i}${PENALTY_LATEX}`,
    },
    parameters: 'W (classes × features, row-major), then b (classes)',
    hessian: true,
  },
  mlp: {
    title: 'Multilayer perceptron',
    task: 'classification or regression (task)',
    loss: {
      text: `classification: (1/n) Σ −log softmax(z)_y; regression: (1/n) Σ (z − y)²${PENALTY}`,
      latex: `\\frac{1}{n}\\sum_i -\\log \\operatorname{softmax}(z_i)_{y_i}\\ \\text{or}\\ \\frac{1}{n}\\sum_i (z_i - y_i)^2${PENALTY_LATEX}`,
    },
    parameters: 'for each layer: W (fan_out × fan_in, row-major), then b (fan_out); Glorot-uniform start',
    hessian: false,
  },
};

const MLP_ONLY = new Set(['hidden', 'activation', 'task']);
const MLP_DEFAULTS: Record<string, number[] | string | null> = {
  hidden: [...MODEL_DEFAULTS.hidden],
  activation: MODEL_DEFAULTS.activation,
  task: null,
};

type Option = z.output<typeof optionSchema>;

function optionOf(
  name: string,
  property: JsonSchemaProperty & { items?: JsonSchemaProperty; anyOf?: JsonSchemaProperty[] },
): Option {
  const member = property.anyOf?.find((entry) => entry.type !== 'null') ?? property;
  // An integer without an upper bound of its own shows zod's MAX_SAFE_INTEGER: no bound.
  const numeric =
    member.maximum !== undefined && member.maximum >= Number.MAX_SAFE_INTEGER
      ? { ...member, maximum: undefined }
      : member;
  const type = property.type ?? numeric.type ?? 'string';
  return {
    name,
    type,
    default: name in MLP_DEFAULTS ? MLP_DEFAULTS[name] : (property.default ?? null),
    range: type === 'array' ? `${rangeOf(property.items ?? {})} each` : rangeOf(numeric),
    description: property.description ?? '',
  };
}

function buildModels(): ModelCatalog['models'] {
  const json = z.toJSONSchema(modelObjectiveSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, JsonSchemaProperty>;
  };
  const options = Object.entries(json.properties)
    .filter(([key]) => !['type', 'model', 'data', 'dim'].includes(key))
    .map(([key, property]) => optionOf(key, property));
  return MODEL_NAMES.map((name) => ({
    name,
    ...MODELS[name],
    options: options.filter((option) => name === 'mlp' || !MLP_ONLY.has(option.name)),
  }));
}

function buildDatasets(): ModelCatalog['datasets'] {
  const json = z.toJSONSchema(builtinDataSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, JsonSchemaProperty>;
  };
  const iris = irisDataset();
  const entries: ModelCatalog['datasets'] = [
    {
      name: 'iris',
      title: 'Iris (Fisher, 1936)',
      description: 'Sepal and petal length and width (cm) of 150 irises, 50 of each of 3 species.',
      rows: iris.rows,
      features: iris.features,
      classes: iris.classes,
      columns: iris.columns,
      target: iris.target,
      labels: iris.labels,
      options: [],
    },
  ];
  for (const name of ['two_moons', 'spirals', 'blobs'] as GeneratorName[]) {
    const generator = DATASET_GENERATORS[name];
    const keys = [
      'samples',
      'noise',
      ...(generator.variableClasses ? ['classes'] : []),
      ...(generator.variableFeatures ? ['features'] : []),
    ];
    const { defaults } = generator;
    entries.push({
      name,
      title: name.replace('_', ' '),
      description: generator.description,
      rows: defaults.samples,
      features: defaults.features,
      classes: defaults.classes,
      columns: Array.from({ length: defaults.features }, (_, j) => `x${j}`),
      target: 'label',
      labels: null,
      options: keys.map((key) => ({
        ...optionOf(key, json.properties[key]),
        default: defaults[key as keyof typeof defaults],
      })),
    });
  }
  return entries;
}

let cached: ModelCatalog | null = null;

/** The models and built-in data sets; a fresh deep copy each call. */
export function modelCatalog(): ModelCatalog {
  cached ??= { models: buildModels(), datasets: buildDatasets() };
  return structuredClone(cached);
}
