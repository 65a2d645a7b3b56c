// The file BullMQ loads on each worker thread. Threads run plain Node (no tsx loader, also when
// the worker runs inside vitest), so this registers tsx for the import of the TypeScript
// processor; `tsImport` scopes the loader to that import tree.
import { tsImport } from 'tsx/esm/api';

const { default: processJob } = await tsImport('./processor.ts', import.meta.url);

export default processJob;
