import { Rng } from '../random.ts';
import { shuffleInPlace } from './shuffle.ts';

/**
 * Where a {@link BatchSampler} stands, as plain data (it goes into run checkpoints): the current
 * epoch, the offset of the current batch in that epoch's order, and the generator's state from
 * before that epoch's shuffle. The order itself is not stored (rows × 8 bytes per checkpoint):
 * restoring replays the one shuffle from `epochRng`, which reproduces it exactly.
 */
export type BatchSamplerState = {
  epoch: number;
  batchStart: number;
  epochRng: { words: number[]; spareNormal: number | null };
};

/**
 * Mini-batches over `rows` training rows, PyTorch DataLoader style (shuffle=True,
 * drop_last=False): each epoch is a fresh seeded permutation of 0 … rows−1 (Fisher–Yates from
 * the identity, so an epoch's order depends only on the generator state at its start), cut into
 * consecutive batches of `batchSize`; the last batch of an epoch holds the rows − ⌊…⌋ remainder
 * when batchSize does not divide rows. Construction positions the sampler on the first batch of
 * epoch 0; `next()` moves to the following batch, reshuffling at each epoch boundary.
 */
export class BatchSampler {
  /** The current epoch's order of the rows; the batch is order[batchStart, batchStart + batchRows). */
  readonly order: Uint32Array;
  private rng: Rng;
  private epochRng: BatchSamplerState['epochRng'];
  private epochNumber = 0;
  private start = 0;

  constructor(
    readonly rows: number,
    readonly batchSize: number,
    seed: number,
  ) {
    this.order = new Uint32Array(rows);
    this.rng = Rng.fromSeed(seed);
    this.epochRng = this.rng.getState();
    this.reshuffle();
  }

  get epoch(): number {
    return this.epochNumber;
  }

  /** Offset of the current batch in `order`. */
  get batchStart(): number {
    return this.start;
  }

  /** Rows in the current batch: batchSize, or the remainder for an epoch's last batch. */
  get batchRows(): number {
    return Math.min(this.batchSize, this.rows - this.start);
  }

  /** Moves to the next batch; past the epoch's last batch, to the first batch of a new shuffle. */
  next(): void {
    this.start += this.batchSize;
    if (this.start < this.rows) return;
    this.start = 0;
    this.epochNumber++;
    this.reshuffle();
  }

  state(): BatchSamplerState {
    return {
      epoch: this.epochNumber,
      batchStart: this.start,
      epochRng: { words: [...this.epochRng.words], spareNormal: this.epochRng.spareNormal },
    };
  }

  /** Back to a state from {@link state}: the same epoch order and the same current batch. */
  restore(state: BatchSamplerState): void {
    this.rng = Rng.fromState(state.epochRng);
    this.epochNumber = state.epoch;
    this.start = state.batchStart;
    this.reshuffle();
  }

  /** order ← a permutation drawn from the identity with the generator as it stands (saved first). */
  private reshuffle(): void {
    this.epochRng = this.rng.getState();
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    shuffleInPlace(order, this.rng);
  }
}
