/**
 * GET /v1/catalog/optimizers: every optimizer with its parameters, defaults, valid ranges and
 * update rule. Types, defaults, ranges and descriptions are read from the zod schemas
 * (src/schemas/optimizer.ts) through their JSON Schema, so the catalog cannot drift from what
 * validation accepts; only titles and rules are written here.
 */
import { z } from 'zod';
import { optimizerRunsOnDevice } from '../core/backends/device-problem.ts';
import { type OptimizerName, optimizerSchemas } from './optimizer.ts';

export interface OptimizerParameter {
  name: string;
  /** "number" | "integer" | "boolean" | "string" (strings are enums: see range). */
  type: string;
  /** The default filled in by normalisation; null when the parameter is optional without one. */
  default: number | boolean | string | null;
  /** Valid values: an interval such as "(0, ∞)" or "[0, 1)", or the allowed choices. */
  range: string;
  description: string;
}

export interface OptimizerRule {
  /** The update rule in plain Unicode text. */
  text: string;
  /** The same rule in LaTeX. */
  latex: string;
}

export interface OptimizerCatalogEntry {
  name: OptimizerName;
  title: string;
  parameters: OptimizerParameter[];
  rule: OptimizerRule;
  /** Where it runs: every optimizer on the CPU, the first-order ones on a GPU too (`device`). */
  devices: ('cpu' | 'gpu')[];
}

const DESCRIPTIONS: Record<OptimizerName, { title: string; rule: OptimizerRule }> = {
  sgd: {
    title: 'Stochastic gradient descent',
    rule: { text: 'θ ← θ − α g', latex: '\\theta \\leftarrow \\theta - \\alpha g' },
  },
  momentum: {
    title: 'SGD with momentum (heavy ball or Nesterov)',
    rule: {
      text: 'v ← ρ v − α g; θ ← θ + v (nesterov: θ ← θ + ρ v − α g with the updated v)',
      latex:
        'v \\leftarrow \\rho v - \\alpha g;\\quad \\theta \\leftarrow \\theta + v' +
        '\\quad(\\text{nesterov: } \\theta \\leftarrow \\theta + \\rho v - \\alpha g)',
    },
  },
  adagrad: {
    title: 'AdaGrad',
    rule: {
      text: 'G ← G + g²; θ ← θ − α g / √(G + ε)',
      latex:
        'G \\leftarrow G + g^2;\\quad \\theta \\leftarrow \\theta - \\frac{\\alpha\\, g}{\\sqrt{G + \\epsilon}}',
    },
  },
  rmsprop: {
    title: 'RMSProp',
    rule: {
      text: 's ← β s + (1 − β) g²; θ ← θ − α g / √(s + ε)',
      latex:
        's \\leftarrow \\beta s + (1 - \\beta) g^2;\\quad ' +
        '\\theta \\leftarrow \\theta - \\frac{\\alpha\\, g}{\\sqrt{s + \\epsilon}}',
    },
  },
  adam: {
    title: 'Adam',
    rule: {
      text:
        'm ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; m̂ = m / (1 − β₁ᵗ); v̂ = v / (1 − β₂ᵗ); ' +
        'θ ← θ − α m̂ / (√v̂ + ε) (amsgrad: v̂max ← max(v̂max, v̂) in place of v̂)',
      latex:
        'm \\leftarrow \\beta_1 m + (1 - \\beta_1) g;\\quad v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2;\\quad ' +
        '\\hat m = \\frac{m}{1 - \\beta_1^t};\\quad \\hat v = \\frac{v}{1 - \\beta_2^t};\\quad ' +
        '\\theta \\leftarrow \\theta - \\frac{\\alpha\\, \\hat m}{\\sqrt{\\hat v} + \\epsilon}',
    },
  },
  adamw: {
    title: 'AdamW (Adam with decoupled weight decay)',
    rule: {
      text: 'θ ← θ (1 − α λ); then the Adam step θ ← θ − α m̂ / (√v̂ + ε)',
      latex:
        '\\theta \\leftarrow \\theta (1 - \\alpha \\lambda);\\quad ' +
        '\\theta \\leftarrow \\theta - \\frac{\\alpha\\, \\hat m}{\\sqrt{\\hat v} + \\epsilon}',
    },
  },
  newton: {
    title: "Newton's method (exact, damped or saddle-free Hessian)",
    rule: {
      text: 'd = −B⁻¹ g with B = H, H + λI or |H| = V|Λ|Vᵀ; θ ← θ + α d (α from Armijo backtracking or lr)',
      latex:
        'd = -B^{-1} g,\\ B \\in \\{H,\\ H + \\lambda I,\\ |H| = V |\\Lambda| V^\\top\\};\\quad ' +
        '\\theta \\leftarrow \\theta + \\alpha d',
    },
  },
  lbfgs: {
    title: 'L-BFGS (limited-memory quasi-Newton)',
    rule: {
      text:
        'd = −H g by the two-loop recursion over the last m pairs (s, y), H₀ = (sᵀy / yᵀy) I; ' +
        'θ ← θ + α d (α from a strong Wolfe line search or lr)',
      latex:
        'd = -H_k g,\\ H_k \\text{ from } \\{(s_i, y_i)\\}_{i=k-m}^{k-1},\\ ' +
        'H_0 = \\frac{s^\\top y}{y^\\top y} I;\\quad \\theta \\leftarrow \\theta + \\alpha d',
    },
  },
};

export interface JsonSchemaProperty {
  type?: string;
  default?: number | boolean | string;
  description?: string;
  enum?: string[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

function formatBound(value: number): string {
  return String(value);
}

export function rangeOf(property: JsonSchemaProperty): string {
  if (property.enum) return property.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (property.type === 'boolean') return 'true | false';
  const low =
    property.exclusiveMinimum !== undefined
      ? `(${formatBound(property.exclusiveMinimum)}`
      : property.minimum !== undefined
        ? `[${formatBound(property.minimum)}`
        : '(−∞';
  const high =
    property.exclusiveMaximum !== undefined
      ? `${formatBound(property.exclusiveMaximum)})`
      : property.maximum !== undefined
        ? `${formatBound(property.maximum)}]`
        : '∞)';
  return `${low}, ${high}`;
}

function buildCatalog(): OptimizerCatalogEntry[] {
  return optimizerSchemas.map((schema) => {
    const name = schema.shape.name.value;
    const json = z.toJSONSchema(schema, { io: 'input' }) as {
      properties: Record<string, JsonSchemaProperty>;
    };
    const parameters = Object.entries(json.properties)
      .filter(([key]) => key !== 'name')
      .map(([key, property]) => ({
        name: key,
        type: property.type ?? 'string',
        default: property.default ?? null,
        range: rangeOf(property),
        description: property.description ?? '',
      }));
    return {
      name,
      title: DESCRIPTIONS[name].title,
      parameters,
      rule: DESCRIPTIONS[name].rule,
      devices: optimizerRunsOnDevice(name) ? ['cpu', 'gpu'] : ['cpu'],
    };
  });
}

let cached: OptimizerCatalogEntry[] | null = null;

/** Every optimizer, in the order of OPTIMIZER_NAMES. Returns a fresh deep copy each call. */
export function optimizerCatalog(): OptimizerCatalogEntry[] {
  cached ??= buildCatalog();
  return structuredClone(cached);
}
