import type { Objective } from '../../types.ts';
import { ackley } from './ackley.ts';
import { beale } from './beale.ts';
import { booth } from './booth.ts';
import type { BuiltinDefinition, BuiltinName, BuiltinParams } from './definition.ts';
import { goldsteinPrice } from './goldstein-price.ts';
import { himmelblau } from './himmelblau.ts';
import { monkeySaddle } from './monkey-saddle.ts';
import { quadratic } from './quadratic.ts';
import { rastrigin } from './rastrigin.ts';
import { rosenbrock } from './rosenbrock.ts';
import { saddle } from './saddle.ts';
import { sphere } from './sphere.ts';
import { styblinskiTang } from './styblinski-tang.ts';

/**
 * The registry of builtin objectives (API.md "Objective"): definitions by name, the catalog
 * entries of GET /v1/catalog/objectives, and parameter defaults.
 */

export {
  BUILTIN_NAMES,
  type BuiltinDefinition,
  type BuiltinName,
  type BuiltinParamInfo,
  type BuiltinParams,
} from './definition.ts';

const definitions: Record<BuiltinName, BuiltinDefinition> = {
  sphere,
  quadratic,
  rosenbrock,
  beale,
  booth,
  himmelblau,
  goldstein_price: goldsteinPrice,
  rastrigin,
  ackley,
  styblinski_tang: styblinskiTang,
  saddle,
  monkey_saddle: monkeySaddle,
};

/** Defaults filled in, declared parameters only, in declaration order. */
export function fillBuiltinParams(name: BuiltinName, params: BuiltinParams | undefined): BuiltinParams {
  const filled: BuiltinParams = {};
  for (const [key, info] of Object.entries(definitions[name].params)) {
    filled[key] = params?.[key] ?? info.default;
  }
  return filled;
}

/** The definitions, with every params argument completed by fillBuiltinParams, so callers may pass partial params. */
function withDefaults(definition: BuiltinDefinition): BuiltinDefinition {
  const fill = (params: BuiltinParams | undefined) => fillBuiltinParams(definition.name, params);
  return {
    ...definition,
    defaultStart: (dim, params) => definition.defaultStart(dim, fill(params)),
    minimizers: (dim, params) => definition.minimizers(dim, fill(params)),
    minimum: (dim, params) => definition.minimum(dim, fill(params)),
    create: (dim, params, seed) => definition.create(dim, fill(params), seed),
  };
}

export const builtins = Object.fromEntries(
  Object.entries(definitions).map(([name, definition]) => [name, withDefaults(definition)]),
) as Record<BuiltinName, BuiltinDefinition>;

/** The objective `name` at dimension `dim`; missing params take their defaults. */
export function createBuiltin(
  name: BuiltinName,
  dim: number,
  params: BuiltinParams,
  seed: number,
): Objective {
  return definitions[name].create(dim, fillBuiltinParams(name, params), seed);
}

/**
 * JSON-safe catalog entry for GET /v1/catalog/objectives:
 * {name, title, latex, anyDim, minDim, defaultDim, params, defaultStart, minimizers, minimum, box},
 * with the start, minimisers and minimum at the default dimension and default params.
 */
export function catalogEntry(name: BuiltinName): Record<string, unknown> {
  const definition = definitions[name];
  const dim = definition.defaultDim;
  const params = fillBuiltinParams(name, undefined);
  return {
    name: definition.name,
    title: definition.title,
    latex: definition.latex,
    anyDim: definition.anyDim,
    minDim: definition.minDim,
    defaultDim: dim,
    params: Object.fromEntries(Object.entries(definition.params).map(([key, info]) => [key, { ...info }])),
    defaultStart: Array.from(definition.defaultStart(dim, params)),
    minimizers: definition.minimizers(dim, params),
    minimum: definition.minimum(dim, params),
    box: { x: [...definition.box.x], y: [...definition.box.y] },
  };
}
