import { pathToFileURL } from 'node:url';
import { createObjective } from '../src/core/objectives/index.ts';
import { Run } from '../src/core/run.ts';
import type { Objective } from '../src/core/types.ts';
import { type JobSpec, normalizeJobSpec } from '../src/schemas/job-spec.ts';
import { type BenchRow, describeRow, median } from './stats.ts';

/**
 * Expression objectives vs builtins: value+gradient of `(1-x)^2 + 100*(y-x^2)^2` (compiled from
 * the expression) against the hand-written builtin Rosenbrock, at the points of one 2-D Adam run.
 *
 * 1. A 2-D Adam run on the builtin records its iterates (the workload the goal is about).
 * 2. Both objectives evaluate f and ∇f at those same points; repetitions alternate builtin,
 *    expression, builtin, … so drift in clock speed hits both; the median per-call time of each
 *    gives ratio = builtin ns per call / expression ns per call (1 = as fast as the builtin).
 * 3. For context (details only): whole Run iterations (objective + Adam + stop rules) of the same
 *    spec with either objective, also interleaved.
 * Goal (issue 3): ratio >= 0.5.
 */

const ROSENBROCK = '(1-x)^2 + 100*(y-x^2)^2';
const ADAM_ITERATIONS = 100_000;
const PASSES_PER_SAMPLE = 10;
const REPEATS = 15;
const GOAL = 0.5;

function adamSpec(objective: Record<string, unknown>, iterations: number, recordPoints: boolean): JobSpec {
  const normalized = normalizeJobSpec({
    objective,
    optimizer: { name: 'adam', lr: 1e-3 },
    start: { x0: [-1.2, 1] },
    stop: { maxIterations: iterations, gradTol: 0, fTol: 0 },
    record: recordPoints
      ? { every: 1, params: true, maxPoints: 100_000 }
      : { every: iterations, params: false },
    seed: 1,
  });
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  return normalized.spec;
}

/** The iterates x₀ … of a 2-D Adam run on the builtin Rosenbrock, flattened. */
function adamIterates(): Float64Array {
  const run = new Run(adamSpec({ type: 'builtin', name: 'rosenbrock' }, ADAM_ITERATIONS - 1, true));
  run.advance();
  const points = run.takePoints();
  const flat = new Float64Array(points.length * 2);
  points.forEach((point, k) => {
    flat[2 * k] = point.x![0]!;
    flat[2 * k + 1] = point.x![1]!;
  });
  return flat;
}

/** ns per valueAndGradient call over every iterate, PASSES_PER_SAMPLE times. */
function timeValueAndGradient(
  objective: Objective,
  iterates: Float64Array,
): { ns: number; checksum: number } {
  const x = new Float64Array(2);
  const g = new Float64Array(2);
  let checksum = 0;
  const count = iterates.length / 2;
  const start = performance.now();
  for (let pass = 0; pass < PASSES_PER_SAMPLE; pass++) {
    for (let k = 0; k < count; k++) {
      x[0] = iterates[2 * k]!;
      x[1] = iterates[2 * k + 1]!;
      checksum += objective.valueAndGradient(x, g) + g[0]! + g[1]!;
    }
  }
  return { ns: ((performance.now() - start) * 1e6) / (count * PASSES_PER_SAMPLE), checksum };
}

/** ns per iteration of a whole Run (set-up excluded). */
function timeRun(spec: JobSpec): number {
  const run = new Run(spec);
  const start = performance.now();
  run.advance();
  const elapsed = performance.now() - start;
  return (elapsed * 1e6) / run.result().iterations;
}

export async function benchExpression(): Promise<BenchRow> {
  const builtinSpec = adamSpec({ type: 'builtin', name: 'rosenbrock' }, ADAM_ITERATIONS, false);
  const expressionSpec = adamSpec({ type: 'expression', expression: ROSENBROCK }, ADAM_ITERATIONS, false);
  const builtin = createObjective(builtinSpec.objective, builtinSpec.seed);
  const expression = createObjective(expressionSpec.objective, expressionSpec.seed);
  const iterates = adamIterates();

  const builtinNs: number[] = [];
  const expressionNs: number[] = [];
  const builtinRunNs: number[] = [];
  const expressionRunNs: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const reference = timeValueAndGradient(builtin, iterates);
    const compiled = timeValueAndGradient(expression, iterates);
    // Same points, same formula up to rounding: a mismatch means the timing compared different work.
    if (Math.abs(reference.checksum - compiled.checksum) > 1e-6 * Math.abs(reference.checksum)) {
      throw new Error(`checksums differ: ${reference.checksum} vs ${compiled.checksum}`);
    }
    builtinNs.push(reference.ns);
    expressionNs.push(compiled.ns);
    builtinRunNs.push(timeRun(builtinSpec));
    expressionRunNs.push(timeRun(expressionSpec));
  }

  const ratio = median(builtinNs) / median(expressionNs);
  const runRatio = median(builtinRunNs) / median(expressionRunNs);
  const row: BenchRow = {
    name: 'expression: Rosenbrock value+gradient vs builtin, at the iterates of a 2-D Adam run',
    ratio,
    goal: `>= ${GOAL}`,
    pass: ratio >= GOAL,
    details: {
      builtinNsPerCall: median(builtinNs),
      expressionNsPerCall: median(expressionNs),
      builtinRunNsPerIteration: median(builtinRunNs),
      expressionRunNsPerIteration: median(expressionRunNs),
      runRatio,
    },
  };
  return row;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(describeRow(await benchExpression()));
}
