import type { Rng } from '../random.ts';

/**
 * Fisher–Yates shuffle of `order` in place: for i = n−1 … 1, swap entries i and j with
 * j = ⌊u·(i+1)⌋, u uniform in [0, 1). Consumes exactly n−1 uniforms, so a shuffle is reproduced
 * from the generator's state before it.
 */
export function shuffleInPlace(order: Uint32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const held = order[i];
    order[i] = order[j];
    order[j] = held;
  }
}

/** 0, 1, …, n−1 in a fresh Uint32Array. */
export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
