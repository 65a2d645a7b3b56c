import type { Optimizer } from '../types.ts';
import { type AdamOptions, type AdamState, createAdamFamily } from './adam.ts';

export type AdamwState = AdamState;

export interface AdamwOptions extends AdamOptions {
  weightDecay: number;
}

/**
 * AdamW (Loshchilov & Hutter): decoupled weight decay with this step's rate αᵢ (base lr times the
 * schedule factor), applied before the Adam step, which uses the gradient at the old θ:
 *   θ ← θ (1 − αᵢ λ)
 *   θ ← θ − αᵢ m̂ / (√v̂ + ε)        (m̂, v̂ exactly as in Adam, AMSGrad included)
 * Both happen in one fused pass.
 */
export function createAdamw(options: AdamwOptions): Optimizer<AdamwState> {
  return createAdamFamily('adamw', options, options.weightDecay);
}
