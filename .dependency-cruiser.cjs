/**
 * Import rules, checked by `npm run lint` (depcruise). A request is followable by folder:
 * route → schema → queue → worker → core → store → SSE, and the arrows only point one way.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere (src ↔ workers included).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core runs in the CLI, the API, the workers and the browser: it imports nothing outside ' +
        'src/core but pure, browser-safe libraries (pure-rand, ml-matrix) — no Node built-ins, no zod, no I/O.',
      from: { path: '^src/core/' },
      to: {
        pathNot: ['^src/core/', '^node_modules/(pure-rand|ml-matrix)/'],
      },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      comment: 'The core bundles for a browser.',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'schemas-below-the-service',
      severity: 'error',
      comment: 'Schemas validate and describe; they know the core, never the API, store, queue or workers.',
      from: { path: '^src/schemas/' },
      to: { path: '^(src/(api|store|queue|redis|cli)|workers)/' },
    },
    {
      name: 'workers-only-from-the-launcher',
      severity: 'error',
      comment:
        'The API never imports the worker: queue names and job options live in src/queue, which both ' +
        'sides import. Only src/start.ts (API and workers in one process tree) starts workers.',
      from: { path: '^src/', pathNot: '^src/start\\.ts$' },
      to: { path: '^workers/' },
    },
    {
      name: 'store-and-queue-below-the-api',
      severity: 'error',
      comment: 'The store, the queue and Redis plumbing never reach up into the API or the CLI.',
      from: { path: '^src/(store|queue|redis)/' },
      to: { path: '^src/(api|cli)/' },
    },
    {
      name: 'web-runs-only-the-core',
      severity: 'error',
      comment:
        'The dashboard bundles web/, src/core (browser-safe) and npm packages; anything else of the repo ' +
        'would be missing from the build hash (src/api/dashboard/build.ts) or pull Node into the page.',
      from: { path: '^web/' },
      to: { path: '^(src|workers|bench|scripts|test)/', pathNot: ['^src/core/', '^src/schemas/'] },
    },
    {
      name: 'web-takes-only-types-from-schemas',
      severity: 'error',
      comment: "The page shares the API schemas' types (`import type`, erased), never zod at run time.",
      from: { path: '^web/' },
      to: { path: '^src/schemas/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-dev-deps-in-production-code',
      severity: 'error',
      from: { path: '^(src|workers|web)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
