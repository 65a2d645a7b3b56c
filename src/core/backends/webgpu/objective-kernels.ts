import type { DeviceObjectiveSpec } from '../compute-backend.ts';
import type { CONFIG } from './run-layout.ts';

/**
 * The builtins' value and gradient in WGSL, float32, the formulas of
 * src/core/objectives/builtins/*.ts. A kernel is a grid-stride loop over j that reads `xi`
 * (and, for Rosenbrock, its neighbours through `x(k)`), sets `term` (coordinate j's share of the
 * sum that f is made of) and `gi`; the workgroups' partial sums of term, gᵢ² and the non-finite
 * count are reduced by the finalize pass, where `value` turns the total into f.
 *
 * Periodic terms reduce their argument first: WGSL guarantees sin and cos only to an absolute
 * error of 2⁻¹¹ inside [−π, π], so cos(2πx) is evaluated as cos(2π(x − round(x))), exact in
 * float32 up to the rounding of 2π·r.
 */
export interface ObjectiveKernel {
  /** WGSL statements inside the loop: `term` and `gi` from `xi` (and `x(k)`). */
  element: string;
  /** WGSL expression of f from `total.x` (Σ term) and the config. */
  value: string;
  /** λᵢ of the quadratic, uploaded as a constant array. */
  lambda?: true;
  config: Partial<Record<(typeof CONFIG.fields)[number][0], number>>;
  /**
   * Ackley only: a first pass summing `sumElement`'s (a, b) into state.sumA, state.sumB, whose
   * values the gradient pass (`element`, after `gradientPrologue`) and `value` then read.
   */
  sums?: { element: string; gradientPrologue: string };
}

const TWO_PI = 2 * Math.PI;

export function objectiveKernel(spec: DeviceObjectiveSpec): ObjectiveKernel {
  const n = spec.dim;
  const params = spec.params;
  switch (spec.name) {
    case 'sphere':
      // f = Σ xᵢ², ∇f = 2x
      return { element: 'let term = xi * xi;\n    let gi = 2.0 * xi;', value: 'total.x', config: {} };
    case 'quadratic':
      // f = ½ Σ λᵢ xᵢ², ∇f = Λx (the CPU sums gᵢxᵢ, then halves)
      if (params.rotate === true) throw new Error('the rotated quadratic has no device kernel');
      return {
        element: 'let gi = lambda[j] * xi;\n    let term = gi * xi;',
        value: '0.5 * total.x',
        lambda: true,
        config: {},
      };
    case 'rosenbrock':
      // f = Σᵢ₌₀ⁿ⁻² b (xᵢ₊₁ − xᵢ²)² + (a − xᵢ)²;
      // ∂f/∂xⱼ = 2b (xⱼ − xⱼ₋₁²) [j > 0] − 4b xⱼ (xⱼ₊₁ − xⱼ²) − 2(a − xⱼ) [j < n − 1]
      return {
        element: `var term = 0.0;
    var gi = 0.0;
    if (j > 0u) {
      let before = x(j - 1u);
      gi = 2.0 * config.p1 * (xi - before * before);
    }
    if (j + 1u < n) {
      let t = x(j + 1u) - xi * xi;
      let u = config.p0 - xi;
      term = config.p1 * t * t + u * u;
      gi = gi - 4.0 * config.p1 * xi * t - 2.0 * u;
    }`,
        value: 'total.x',
        config: { p0: params.a as number, p1: params.b as number },
      };
    case 'rastrigin':
      // f = A n + Σ (xᵢ² − A cos 2πxᵢ), ∂f/∂xᵢ = 2xᵢ + 2πA sin 2πxᵢ
      return {
        element: `let angle = TWO_PI * (xi - round(xi));
    let term = xi * xi - config.p0 * cos(angle);
    let gi = 2.0 * xi + config.p2 * sin(angle);`,
        value: 'config.p1 + total.x',
        config: { p0: params.A as number, p1: (params.A as number) * n, p2: TWO_PI * (params.A as number) },
      };
    case 'styblinski_tang':
      // f = ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ), ∂f/∂xᵢ = 2xᵢ³ − 16xᵢ + 2.5
      return {
        element: `let xi2 = xi * xi;
    let term = xi2 * xi2 - 16.0 * xi2 + 5.0 * xi;
    let gi = 2.0 * xi2 * xi - 16.0 * xi + 2.5;`,
        value: '0.5 * total.x',
        config: {},
      };
    case 'ackley': {
      // f = a(1 − E₁) + (e − E₂), E₁ = exp(−b √(Σxᵢ²/n)), E₂ = exp(Σcos(c xᵢ)/n);
      // ∂f/∂xᵢ = (a b E₁/(n r)) xᵢ + (c/n) E₂ sin(c xᵢ), 0 for the cone term at r = 0.
      const a = params.a as number;
      const b = params.b as number;
      const c = params.c as number;
      const reduced = 'let turns = config.p3 * xi;\n    let angle = TWO_PI * (turns - round(turns));';
      return {
        sums: {
          element: `${reduced}
    let sumA = xi * xi;
    let sumB = cos(angle);`,
          gradientPrologue: `let r = sqrt(state.sumA / f32(n));
  let coneExp = exp(-config.p1 * r);
  let cosineExp = exp(state.sumB / f32(n));
  let radial = select(config.p0 * config.p1 * coneExp / (f32(n) * r), 0.0, r == 0.0);
  let periodic = config.p2 * cosineExp / f32(n);`,
        },
        element: `${reduced}
    let term = 0.0;
    let gi = radial * xi + periodic * sin(angle);`,
        // e − E₂ as e(1 − exp(C/n − 1)): exactly 0 at x = 0 (as the CPU's e − exp(1) is), where
        // float32 e and exp(1.0) may differ by an ulp.
        value: `config.p0 * (1.0 - exp(-config.p1 * sqrt(state.sumA / f32(n)))) + ${Math.E} * (1.0 - exp(state.sumB / f32(n) - 1.0))`,
        config: { p0: a, p1: b, p2: c, p3: c / TWO_PI },
      };
    }
  }
}
