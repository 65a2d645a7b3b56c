import type { Objective } from '../../types.ts';

/** The builtin test functions of API.md ("Objective"), in catalog order. */
export const BUILTIN_NAMES = [
  'sphere',
  'quadratic',
  'rosenbrock',
  'beale',
  'booth',
  'himmelblau',
  'goldstein_price',
  'rastrigin',
  'ackley',
  'styblinski_tang',
  'saddle',
  'monkey_saddle',
] as const;

export type BuiltinName = (typeof BUILTIN_NAMES)[number];

/** Parameter values by name; after `fillBuiltinParams` every declared parameter is present. */
export type BuiltinParams = Record<string, number | boolean>;

export interface BuiltinParamInfo {
  /** The default; its type (number or boolean) is the parameter's type. */
  default: number | boolean;
  /** Smallest accepted value (numbers only). */
  min?: number;
  description: string;
}

/**
 * A builtin objective with its catalog metadata. Every function here receives complete params
 * (defaults filled in by the registry) and a dimension the schema has accepted.
 */
export interface BuiltinDefinition {
  name: BuiltinName;
  title: string;
  /** The formula in LaTeX. */
  latex: string;
  /** Accepts any dimension >= minDim; otherwise the function is 2-D only. */
  anyDim: boolean;
  minDim: number;
  defaultDim: number;
  params: Record<string, BuiltinParamInfo>;
  /** The standard start point (never a minimiser). */
  defaultStart(dim: number, params: BuiltinParams): Float64Array;
  /** Known global minimisers; null when there are none (unbounded below) or they are unknown. */
  minimizers(dim: number, params: BuiltinParams): number[][] | null;
  /** The global minimum value; null when unbounded below or unknown. */
  minimum(dim: number, params: BuiltinParams): number | null;
  /** Plotting box for the first two coordinates. */
  box: { x: [number, number]; y: [number, number] };
  /** Builds the objective; `seed` is only used by quadratic's `rotate`. */
  create(dim: number, params: BuiltinParams, seed: number): Objective;
}

/** A Float64Array of length `dim` whose entries cycle through `pattern`. */
export function repeated(dim: number, pattern: readonly number[]): Float64Array {
  const x = new Float64Array(dim);
  for (let i = 0; i < dim; i++) x[i] = pattern[i % pattern.length];
  return x;
}

/** Throws on a dimension the schema would have rejected: a programming error, not user input. */
export function assertDim(name: BuiltinName, dim: number, minDim: number, anyDim: boolean): void {
  if (!Number.isInteger(dim) || dim < minDim || (!anyDim && dim !== 2)) {
    throw new RangeError(`${name}: unsupported dimension ${dim}`);
  }
}

/** Zeroes the row-major dim×dim matrix `h` (Hessians of separable functions then set the diagonal). */
export function zeroFill(h: Float64Array, dim: number): void {
  h.fill(0, 0, dim * dim);
}

/** Throwaway output for `valueGradientAndNormSquared` when only f and g are wanted. */
export const scratch = new Float64Array(1);
