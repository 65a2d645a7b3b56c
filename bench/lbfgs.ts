import { spawnSync } from 'node:child_process';
import { Run } from '../src/core/run.ts';
import { normalizeJobSpec } from '../src/schemas/job-spec.ts';
import type { BenchRow } from './stats.ts';

/**
 * L-BFGS objective evaluations against scipy's L-BFGS-B, on the same problems in the same run:
 * extended Rosenbrock Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² at n = 2, 10, 100, 1000 from
 * (−1.2, 1, −1.2, 1, …), history (maxcor) 10, until ‖∇f‖₂ ≤ 1e-6.
 *
 * Both stop on the same rule: descent with gradTol 1e-6 (fTol off); scipy with its own tests off
 * (gtol 0, ftol 0) and a callback that ends the run once ‖∇f(xₖ)‖₂ ≤ 1e-6 after an iteration
 * (scipy's gtol is on the ∞-norm, which would stop it earlier at n ≥ 100). ratio = descent's f
 * evaluations ÷ scipy's nfev (the callback's own gradient is not counted). Goal (issue 10):
 * ≤ 1.15 at every n. Evaluations are deterministic, so one run each is the figure.
 *
 * scipy comes from the first `python3` on PATH that imports it, else Debian's /usr/bin/python3
 * (python3-scipy); without either, one info row says the comparison was skipped.
 */

const SIZES = [2, 10, 100, 1000];
const GRAD_TOL = 1e-6;
const HISTORY = 10;
const GOAL = 1.15;
const PYTHONS = ['python3', '/usr/bin/python3'];

const SCIPY_SCRIPT = `
import json, sys
import numpy as np
from scipy.optimize import minimize, rosen, rosen_der
sizes, grad_tol, history = json.loads(sys.argv[1])
out = {}
for n in sizes:
    x0 = np.array([-1.2 if i % 2 == 0 else 1.0 for i in range(n)])
    def done(xk):
        if np.linalg.norm(rosen_der(xk)) <= grad_tol:
            raise StopIteration
    r = minimize(lambda x: (rosen(x), rosen_der(x)), x0, jac=True, method='L-BFGS-B', callback=done,
                 options={'maxcor': history, 'gtol': 0, 'ftol': 0, 'maxiter': 10**6, 'maxfun': 10**7})
    out[str(n)] = {'nfev': int(r.nfev), 'nit': int(r.nit), 'gradNorm': float(np.linalg.norm(rosen_der(r.x)))}
print(json.dumps(out))
`;

interface ScipyFigures {
  nfev: number;
  nit: number;
  gradNorm: number;
}

/** The first Python that imports scipy, or null. */
function findScipyPython(): string | null {
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import scipy'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

function runScipy(python: string): Record<string, ScipyFigures> {
  const child = spawnSync(python, ['-c', SCIPY_SCRIPT, JSON.stringify([SIZES, GRAD_TOL, HISTORY])], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`scipy run failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Record<string, ScipyFigures>;
}

/** descent's run on the same problem: iterations, f evaluations and the final ‖∇f‖. */
function runDescent(n: number, optimizer: Record<string, unknown>) {
  const normalized = normalizeJobSpec({
    objective: { type: 'builtin', name: 'rosenbrock', dim: n },
    optimizer,
    stop: { maxIterations: 1_000_000, gradTol: GRAD_TOL, fTol: null, maxSeconds: 3600 },
    record: { every: 1_000_000, params: false },
    seed: 1,
  });
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  const run = new Run(normalized.spec);
  run.advance();
  const { iteration, gradNorm } = run.progress();
  // The counters, not result(): the final diagnostics are no part of this comparison.
  return { iterations: iteration, evaluations: run.evaluations, gradNorm };
}

export function benchLbfgs(): BenchRow[] {
  const rows: BenchRow[] = [];
  const newton = runDescent(2, { name: 'newton' });
  rows.push({
    name: 'lbfgs: newton, 2-D Rosenbrock, f evaluations per iteration (no reference)',
    ratio: newton.evaluations.f / newton.iterations,
    goal: 'none',
    pass: null,
    details: {
      iterations: newton.iterations,
      f: newton.evaluations.f,
      gradient: newton.evaluations.gradient,
      hessian: newton.evaluations.hessian,
    },
  });
  const python = findScipyPython();
  if (python === null) {
    rows.push({
      name: 'lbfgs: evaluations vs scipy L-BFGS-B (skipped: no python3 with scipy)',
      ratio: Number.NaN,
      goal: 'none',
      pass: null,
      details: {},
    });
    return rows;
  }
  const scipy = runScipy(python);
  for (const n of SIZES) {
    const ours = runDescent(n, { name: 'lbfgs', history: HISTORY });
    const reference = scipy[String(n)];
    const ratio = ours.evaluations.f / reference.nfev;
    rows.push({
      name: `lbfgs: f evaluations ÷ scipy L-BFGS-B's, extended Rosenbrock n = ${n}`,
      ratio,
      goal: `<= ${GOAL}`,
      pass: ratio <= GOAL,
      details: {
        descentEvaluations: ours.evaluations.f,
        scipyEvaluations: reference.nfev,
        descentIterations: ours.iterations,
        scipyIterations: reference.nit,
        descentGradNorm: ours.gradNorm,
        scipyGradNorm: reference.gradNorm,
      },
    });
  }
  return rows;
}
