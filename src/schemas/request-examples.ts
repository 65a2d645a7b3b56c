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
  {
    objective: {
      type: 'model',
      model: 'mlp',
      data: { builtin: 'two_moons', samples: 1000, noise: 0.2 },
      hidden: [16, 16],
      batchSize: 64,
    },
    optimizer: { name: 'adam', lr: 0.01 },
    stop: { maxIterations: 1300, patience: 10 },
    seed: 1,
    label: 'two-moons-mlp',
  },
  {
    objective: {
      type: 'model',
      model: 'linear_regression',
      data: { inline: { X: [[0], [1], [2], [3], [4], [5]], y: [1.1, 2.9, 5.2, 7.1, 8.8, 11.2] } },
      validationFraction: 0,
    },
    optimizer: { name: 'newton' },
  },
];

export const EVALUATE_EXAMPLES = [
  { objective: { type: 'builtin', name: 'rosenbrock' }, x: [-1.2, 1] },
  {
    objective: { type: 'expression', expression: 'sin(x) * cos(y) + x^2 / 10' },
    x: [0.5, -1],
    hessian: true,
  },
  {
    objective: { type: 'model', model: 'logistic_regression', data: { builtin: 'two_moons', samples: 200 } },
    x: [0.5, -1, 0],
  },
  { objective: { type: 'builtin', name: 'rosenbrock' }, grid: { x: [-2, 2, 5], y: [-1, 3, 5] } },
];

export const DATASET_UPLOAD_EXAMPLES = [
  {
    X: [
      [5.1, 3.5],
      [4.9, 3.0],
      [6.2, 2.9],
      [5.9, 3.0],
      [6.7, 3.1],
      [5.0, 3.6],
    ],
    y: ['setosa', 'setosa', 'versicolor', 'versicolor', 'versicolor', 'setosa'],
    columns: ['sepal_length', 'sepal_width'],
    name: 'iris sample',
  },
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
