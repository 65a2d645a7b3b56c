import { saturationStep } from '../src/core/optimizers/adam.ts';
import { Run } from '../src/core/run.ts';
import { normalizeJobSpec } from '../src/schemas/job-spec.ts';
import { DEFAULT_LIMITS } from '../src/schemas/limits.ts';
import { type BenchRow, median } from './stats.ts';

/**
 * Per-iteration cost of the core (Run: objective + Adam + stop rules + recording) against a
 * hand-fused loop written here, measured in the same process, interleaved, median of repeats.
 * ratio = core speed / fused speed = fused time per iteration / core time per iteration.
 *
 * The fused reference does the same work the semantics require, with nothing abstracted:
 * per iteration one pass computing f, ∇f and ‖∇f‖ (the stop rule needs ‖∇f‖ before the step),
 * then one pass of the Adam update. Both run with the same defaults (β1 0.9, β2 0.999, ε 1e-8).
 * The bench checks that the core ran every iteration (no early stop), so both do the same work.
 */

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
// The core's Adam skips Math.pow once the bias correction 1 − βᵗ is exactly 1 (saturationStep in
// adam.ts). The goal rows compare with fused loops that compute βᵗ every step, as the seed's
// formulas read; an extra row gives the fused Rosenbrock loop the same shortcut, so it shows
// what the abstraction alone costs. The steps from which 1 − 0.9ᵗ and 1 − 0.999ᵗ are 1:
const SATURATION1 = saturationStep(BETA1);
const SATURATION2 = saturationStep(BETA2);

function coreSpec(objective: Record<string, unknown>, lr: number, iterations: number) {
  const normalized = normalizeJobSpec(
    {
      objective,
      optimizer: { name: 'adam', lr },
      // fTol null: no early stop (fTol 0 ends Rosenbrock at iteration 14,326, where f repeats
      // exactly), so the core runs exactly the fused loop's iterations; timeCore checks it.
      stop: { maxIterations: iterations, gradTol: 0, fTol: null },
      record: { every: iterations, params: false },
      seed: 1,
    },
    { limits: { ...DEFAULT_LIMITS, maxDim: 2_000_000 } },
  ); // the bench goes past the API's default 1,000,000
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  return normalized.spec;
}

/** ms per iteration of the core on `spec`, excluding set-up (allocation, x₀, first evaluation). */
function timeCore(spec: ReturnType<typeof coreSpec>): { msPerIteration: number; f: number } {
  const run = new Run(spec);
  const start = performance.now();
  run.advance();
  const elapsed = performance.now() - start;
  const result = run.result();
  if (result.stopReason !== 'max_iterations') {
    throw new Error(`the core stopped early (${result.stopReason} at ${result.iterations}): not comparable`);
  }
  return { msPerIteration: elapsed / result.iterations, f: result.f };
}

/** Hand-fused Adam on ½ Σ λᵢ xᵢ², λᵢ = κ^(i/(n−1)). */
function timeFusedQuadratic(
  n: number,
  kappa: number,
  lr: number,
  iterations: number,
): { msPerIteration: number; f: number } {
  const lambda = new Float64Array(n);
  for (let i = 0; i < n; i++) lambda[i] = kappa ** (i / (n - 1));
  const x = new Float64Array(n).fill(1);
  const g = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  let f = 0;
  const start = performance.now();
  for (let t = 1; t <= iterations; t++) {
    f = 0;
    let norm2 = 0;
    for (let i = 0; i < n; i++) {
      const gi = lambda[i] * x[i];
      g[i] = gi;
      f += 0.5 * gi * x[i];
      norm2 += gi * gi;
    }
    if (!(Math.sqrt(norm2) >= 0) || !Number.isFinite(f)) break;
    const c1 = 1 / (1 - BETA1 ** t);
    const c2 = 1 / (1 - BETA2 ** t);
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = BETA1 * m[i] + (1 - BETA1) * gi;
      const vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] -= (lr * (mi * c1)) / (Math.sqrt(vi * c2) + EPS);
    }
  }
  return { msPerIteration: (performance.now() - start) / iterations, f };
}

/**
 * Hand-fused Adam on 2-D Rosenbrock (a = 1, b = 100) with scalar state; `powShortcut` skips
 * Math.pow from the saturation steps on, as the core does.
 */
function timeFusedRosenbrock(
  lr: number,
  iterations: number,
  powShortcut: boolean,
): { msPerIteration: number; f: number } {
  const saturation1 = powShortcut ? SATURATION1 : Number.POSITIVE_INFINITY;
  const saturation2 = powShortcut ? SATURATION2 : Number.POSITIVE_INFINITY;
  let x = -1.2;
  let y = 1;
  let m0 = 0;
  let m1 = 0;
  let v0 = 0;
  let v1 = 0;
  let f = 0;
  const start = performance.now();
  for (let t = 1; t <= iterations; t++) {
    const r = y - x * x;
    const d = 1 - x;
    f = 100 * r * r + d * d;
    const g0 = -400 * x * r - 2 * d;
    const g1 = 200 * r;
    if (!(Math.sqrt(g0 * g0 + g1 * g1) >= 0) || !Number.isFinite(f)) break;
    const c1 = 1 / (t >= saturation1 ? 1 : 1 - BETA1 ** t);
    const c2 = 1 / (t >= saturation2 ? 1 : 1 - BETA2 ** t);
    m0 = BETA1 * m0 + (1 - BETA1) * g0;
    m1 = BETA1 * m1 + (1 - BETA1) * g1;
    v0 = BETA2 * v0 + (1 - BETA2) * g0 * g0;
    v1 = BETA2 * v1 + (1 - BETA2) * g1 * g1;
    x -= (lr * (m0 * c1)) / (Math.sqrt(v0 * c2) + EPS);
    y -= (lr * (m1 * c1)) / (Math.sqrt(v1 * c2) + EPS);
  }
  return { msPerIteration: (performance.now() - start) / iterations, f };
}

function compare(
  name: string,
  goal: number | null,
  repeats: number,
  core: () => { msPerIteration: number },
  fused: () => { msPerIteration: number },
): BenchRow {
  const coreTimes: number[] = [];
  const fusedTimes: number[] = [];
  // One discarded round each first: both sides are measured with the JIT warm, as a worker runs.
  fused();
  core();
  for (let r = 0; r < repeats; r++) {
    fusedTimes.push(fused().msPerIteration);
    coreTimes.push(core().msPerIteration);
  }
  const coreMs = median(coreTimes);
  const fusedMs = median(fusedTimes);
  const ratio = fusedMs / coreMs;
  return {
    name,
    ratio,
    goal: goal === null ? 'none' : `>= ${goal}`,
    pass: goal === null ? null : ratio >= goal,
    details: { coreNsPerIteration: coreMs * 1e6, fusedNsPerIteration: fusedMs * 1e6 },
  };
}

export async function benchCore(): Promise<BenchRow[]> {
  const n = 2_000_000;
  const quadraticIterations = 30;
  const quadratic = coreSpec({ type: 'builtin', name: 'quadratic', dim: n }, 1e-3, quadraticIterations);
  // The core's standard start for quadratic is x = 1; the fused loop starts there too.
  const rosenbrockIterations = 1_000_000;
  const rosenbrock = coreSpec({ type: 'builtin', name: 'rosenbrock' }, 1e-3, rosenbrockIterations);
  return [
    compare(
      'core: Adam, 2,000,000-dim quadratic (vs hand-fused loop)',
      0.8,
      9,
      () => timeCore(quadratic),
      () => timeFusedQuadratic(n, 10, 1e-3, quadraticIterations),
    ),
    compare(
      'core: Adam, 2-D Rosenbrock (vs hand-fused loop)',
      0.5,
      9,
      () => timeCore(rosenbrock),
      () => timeFusedRosenbrock(1e-3, rosenbrockIterations, false),
    ),
    compare(
      'core: Adam, 2-D Rosenbrock (vs hand-fused loop with the same pow shortcut)',
      null,
      9,
      () => timeCore(rosenbrock),
      () => timeFusedRosenbrock(1e-3, rosenbrockIterations, true),
    ),
  ];
}
