/**
 * GET /v1/catalog/models, read defensively: its exact shape was not fixed when the page was
 * written (#12), so this module alone knows it. It accepts `{models, datasets}` or `{items}`
 * (items with a `kind`), entries as names or objects, and options as an object or an array;
 * whatever it cannot read falls back to what API.md lists.
 */

export interface ModelOption {
  name: string;
  type: string;
  default: unknown;
  description: string;
}

export interface ModelEntry {
  name: string;
  title: string;
  options: ModelOption[];
}

export interface DatasetEntry {
  name: string;
  /** e.g. "150 × 4, 3 classes" when the catalog gives the shape. */
  shape: string;
  classes: number | null;
}

export interface ModelCatalog {
  models: ModelEntry[];
  datasets: DatasetEntry[];
}

const API_MODELS = ['linear_regression', 'logistic_regression', 'softmax_regression', 'mlp'];
const API_DATASETS = ['iris', 'two_moons', 'spirals', 'blobs'];

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function readOptions(value: unknown): ModelOption[] {
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((option) => [text(isObject(option) ? option.name : option, ''), option])
    : isObject(value)
      ? Object.entries(value)
      : [];
  return entries
    .filter(([name]) => name !== '')
    .map(([name, option]) => {
      const details = isObject(option) ? option : {};
      const initial = details.default;
      return {
        name,
        type: text(details.type, typeof initial === 'number' ? 'number' : typeof initial),
        default: initial ?? null,
        description: text(details.description, ''),
      };
    });
}

function readModel(value: unknown): ModelEntry | null {
  if (typeof value === 'string') return { name: value, title: value.replaceAll('_', ' '), options: [] };
  if (!isObject(value) || typeof value.name !== 'string') return null;
  return {
    name: value.name,
    title: text(value.title, value.name.replaceAll('_', ' ')),
    options: readOptions(value.options ?? value.parameters),
  };
}

function readDataset(value: unknown): DatasetEntry | null {
  if (typeof value === 'string') return { name: value, shape: '', classes: null };
  if (!isObject(value) || typeof value.name !== 'string') return null;
  const shape = isObject(value.shape) ? value.shape : value;
  const rows = number(
    shape.rows ?? shape.samples ?? (Array.isArray(value.shape) ? value.shape[0] : undefined),
  );
  const features = number(shape.features ?? (Array.isArray(value.shape) ? value.shape[1] : undefined));
  const classes = number(shape.classes ?? value.classes);
  const parts = [
    rows !== null && features !== null ? `${rows} × ${features}` : rows !== null ? `${rows} rows` : '',
    classes !== null ? `${classes} classes` : '',
  ].filter((part) => part !== '');
  return { name: value.name, shape: parts.join(', '), classes };
}

function list<T>(values: unknown, read: (value: unknown) => T | null): T[] {
  if (isObject(values)) {
    return Object.entries(values).flatMap(([name, value]) => {
      const entry = read(isObject(value) ? { name, ...value } : name);
      return entry === null ? [] : [entry];
    });
  }
  if (!Array.isArray(values)) return [];
  return values.flatMap((value) => {
    const entry = read(value);
    return entry === null ? [] : [entry];
  });
}

export function parseModelCatalog(body: unknown): ModelCatalog {
  const root = isObject(body) ? body : {};
  let models = list(root.models, readModel);
  let datasets = list(root.datasets, readDataset);
  if (Array.isArray(root.items)) {
    const items = root.items.filter(isObject);
    if (models.length === 0)
      models = list(
        items.filter((item) => item.kind !== 'dataset'),
        readModel,
      );
    if (datasets.length === 0)
      datasets = list(
        items.filter((item) => item.kind === 'dataset'),
        readDataset,
      );
  }
  return {
    models: models.length > 0 ? models : API_MODELS.map((name) => readModel(name)!),
    datasets: datasets.length > 0 ? datasets : API_DATASETS.map((name) => readDataset(name)!),
  };
}
