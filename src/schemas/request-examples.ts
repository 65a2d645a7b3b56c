/**
 * Examples of the request bodies, shown by the OpenAPI document (JSON Schema `examples`: the first
 * is what /docs "Try it out" fills in). Each is a working request: test/api/openapi-examples.test.ts
 * sends every example of the generated document to its live route.
 */

export const JOB_SPEC_EXAMPLES = [
  {
    objective: { type: 'builtin', name: 'rosenbrock', dim: 2 },
    optimizer: { name: 'adam', lr: 0.02 },
    stop: { maxIterations: 2000, gradTol: 1e-6 },
    seed: 1,
    label: 'docs-example',
  },
  {
    objective: { type: 'expression', expression: '(1 - x)^2 + 100*(y - x^2)^2' },
    optimizer: { name: 'lbfgs' },
    start: { x0: [-1.2, 1] },
  },
  {
    objective: {
      type: 'builtin',
      name: 'quadratic',
      dim: 10,
      params: { conditionNumber: 100, rotate: true },
    },
    optimizer: { name: 'momentum', lr: 0.01, rho: 0.9, nesterov: true },
    schedule: { type: 'cosine', minFactor: 0.01, warmup: { steps: 50, startFactor: 0.1 } },
    start: { random: { distribution: 'normal', scale: 1 } },
    stop: { maxIterations: 1000 },
    gradientNoise: { std: 0.01 },
    record: { every: 10 },
    seed: 7,
  },
];

export const EVALUATE_EXAMPLES = [
  { objective: { type: 'builtin', name: 'rosenbrock' }, x: [-1.2, 1] },
  {
    objective: { type: 'expression', expression: 'sin(x) * cos(y) + x^2 / 10' },
    x: [0.5, -1],
    hessian: true,
  },
  { objective: { type: 'builtin', name: 'rosenbrock' }, grid: { x: [-2, 2, 5], y: [-1, 3, 5] } },
];

export const COMPARISON_EXAMPLES = [
  {
    objective: { type: 'builtin', name: 'rosenbrock', dim: 2 },
    runs: [
      { optimizer: { name: 'adam', lr: 0.02 } },
      { optimizer: { name: 'momentum', lr: 0.001, rho: 0.9 } },
      { optimizer: { name: 'lbfgs' } },
      { optimizer: { name: 'newton' } },
    ],
    stop: { maxIterations: 2000, gradTol: 1e-6 },
    seed: 1,
    label: 'docs-comparison',
  },
  {
    objective: { type: 'builtin', name: 'quadratic', dim: 10, params: { conditionNumber: 100 } },
    sweep: { optimizer: { name: 'sgd' }, param: 'lr', logspace: [1e-4, 1e-1, 7] },
    stop: { maxIterations: 500 },
  },
];
