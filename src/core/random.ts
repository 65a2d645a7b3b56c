import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { type xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/** Serialisable state of {@link Rng}: the xoroshiro128+ words and the spare normal deviate. */
export interface RngState {
  words: number[];
  spareNormal: number | null;
}

/**
 * Seeded PRNG (xoroshiro128+ from pure-rand) with uniform and normal deviates.
 * Its whole state is plain data, so a checkpointed run resumes with the same stream.
 */
export class Rng {
  private spareNormal: number | null = null;

  private constructor(private readonly generator: ReturnType<typeof xoroshiro128plus>) {}

  /** Seeds the four state words through splitmix32, so that nearby seeds give unrelated streams. */
  static fromSeed(seed: number): Rng {
    let z = seed | 0;
    const words: number[] = [];
    for (let k = 0; k < 4; k++) {
      z = (z + 0x9e3779b9) | 0;
      let w = z;
      w = Math.imul(w ^ (w >>> 16), 0x85ebca6b);
      w = Math.imul(w ^ (w >>> 13), 0xc2b2ae35);
      words.push(w ^ (w >>> 16));
    }
    return new Rng(xoroshiro128plusFromState(words));
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(xoroshiro128plusFromState(state.words));
    rng.spareNormal = state.spareNormal;
    return rng;
  }

  getState(): RngState {
    return { words: [...this.generator.getState()], spareNormal: this.spareNormal };
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.generator);
  }

  /** Standard normal N(0, 1) by the Marsaglia polar method (pairs; the spare is kept in state). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const scale = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * scale;
    return u * scale;
  }
}
