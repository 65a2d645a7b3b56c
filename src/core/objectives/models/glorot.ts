import type { Rng } from '../../random.ts';
import type { LayerLayout } from './network.ts';

/**
 * Glorot (Xavier) uniform initialisation: every weight of a layer with fan_in inputs and fan_out
 * outputs drawn from U(−a, a), a = √(6 / (fan_in + fan_out)), in parameter order; biases 0.
 * (PyTorch's nn.Linear default differs: Kaiming-uniform weights and non-zero biases.)
 */
export function glorotUniform(layers: readonly LayerLayout[], dim: number, rng: Rng): Float64Array {
  const x = new Float64Array(dim);
  for (const { inputs, outputs, weightOffset } of layers) {
    const limit = Math.sqrt(6 / (inputs + outputs));
    for (let i = 0; i < outputs * inputs; i++) x[weightOffset + i] = limit * (2 * rng.uniform() - 1);
  }
  return x;
}
