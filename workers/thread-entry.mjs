// The file each run thread starts with (workers/run-threads.ts). Threads run plain Node (no tsx
// loader, also when the worker runs inside vitest), so this registers tsx for the import of the
// TypeScript thread; `tsImport` scopes the loader to that import tree.
import { tsImport } from 'tsx/esm/api';

await tsImport('./thread.ts', import.meta.url);
