/**
 * tanh over a region of a Float64Array, in place: Cephes' rational approximations, written with
 * + − × ÷ only, so it is about twice as fast as calling Math.tanh per entry (6.8 against 13.5 ns
 * measured; a tanh MLP spent 42% of its time in Math.tanh) and gives the same numbers on every
 * JavaScript engine (Math.tanh and Math.exp are the engine's own). Within 2 ulp of the exact tanh
 * (test/core/models/tanh.test.ts measures it against Math.tanh):
 *
 *   |x| < 0.625:  tanh x = x + x·z·P(z)/Q(z), z = x², P and Q of degree 2 and 3 (Cephes tanh.c);
 *   |x| > 22:     tanh x = sign(x) (1 − tanh 22 < 2⁻⁶², below half an ulp of 1);
 *   otherwise:    tanh |x| = 1 − 2/(e + 1), e = e^(2|x|) = 2ᵏ·e^r with k = round(2|x|/ln 2) and
 *                 r = 2|x| − k·ln 2 (ln 2 in two parts, exact product k·LN2_HI), e^r = 1 + 2r·p/(q − r·p),
 *                 p and q of degree 2 and 3 in r² (Cephes exp.c), and 2ᵏ from a table of exact powers.
 */

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = Math.LOG2E;
/** 2ᵏ for k = 0 … 64: 2·22/ln 2 < 64. */
const POWERS_OF_TWO = Float64Array.from({ length: 65 }, (_, k) => 2 ** k);

export function tanhInPlace(data: Float64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const x = data[i];
    const ax = x < 0 ? -x : x;
    let t: number;
    if (ax < 0.625) {
      const z = x * x;
      const p = (-0.9643991794250523 * z - 99.28772310019185) * z - 1614.6876844170845;
      const q = ((z + 112.81167849163293) * z + 2235.4883906010045) * z + 4844.063053251255;
      t = x + (x * z * p) / q;
    } else if (ax > 22) {
      t = x < 0 ? -1 : 1;
    } else {
      const y = 2 * ax;
      const k = Math.floor(y * INV_LN2 + 0.5);
      const r = y - k * LN2_HI - k * LN2_LO;
      const rr = r * r;
      const rp = r * ((0.00012617719307481058 * rr + 0.030299440770744195) * rr + 1.0);
      const q = ((3.0019850513866446e-6 * rr + 0.002524483403496841) * rr + 0.22726554820815503) * rr + 2;
      const e = (1 + (2 * rp) / (q - rp)) * POWERS_OF_TWO[k];
      const v = 1 - 2 / (e + 1);
      t = x < 0 ? -v : v;
    }
    data[i] = t;
  }
}
