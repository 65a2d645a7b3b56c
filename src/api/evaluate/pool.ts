import { Piscina } from 'piscina';
import { INLINE_MAX_DIM, INLINE_MAX_EXPRESSION_LENGTH } from '../../queue/inline.ts';
import type { EvaluationTask, GridEvaluationTask } from './evaluation.ts';

/**
 * Where POST /v1/evaluate computes: on the event loop when the work is certainly small, on an
 * evaluation thread otherwise, so a heavy request (a 10,000-character expression and its
 * symbolic Hessian, a rotated quadratic's Q at dim 1000, a dim² Hessian and its JSON) never
 * delays other requests.
 *
 * Small means what the workers run on their main thread (src/queue/inline.ts): dim <= 16 and an
 * expression of at most 120 characters, which builds and evaluates in a few ms even cold. A
 * thread's round trip costs about a millisecond, which such requests would notice and bigger ones
 * do not. The pool (piscina) starts its threads on first use and lets them go after
 * IDLE_TIMEOUT_MS without work; at most MAX_THREADS run at once and MAX_QUEUE wait, past which a
 * request is refused with 429 (the route sets Retry-After).
 *
 * The grid form always runs here: up to 262,144 evaluations and as many numbers of JSON.
 */

const MAX_THREADS = 2;
const MAX_QUEUE = 16;
const IDLE_TIMEOUT_MS = 30_000;

/** Whether an evaluation is small enough for the event loop. */
export function evaluatesInline(task: EvaluationTask): boolean {
  if (task.x.length > INLINE_MAX_DIM) return false;
  return (
    task.objective.type !== 'expression' || task.objective.expression.length <= INLINE_MAX_EXPRESSION_LENGTH
  );
}

/** Thrown when MAX_QUEUE evaluations already wait for a thread. */
export class EvaluationQueueFull extends Error {
  constructor() {
    super(`${MAX_QUEUE} evaluations are already waiting for a thread`);
    this.name = 'EvaluationQueueFull';
  }
}

export interface EvaluatePool {
  /** The evaluation as JSON text, computed on a thread. */
  run(task: EvaluationTask): Promise<string>;
  /** f over the grid as JSON text (`{"f": [...]}`), computed on a thread. */
  runGrid(task: GridEvaluationTask): Promise<string>;
  close(): Promise<void>;
}

export function createEvaluatePool(): EvaluatePool {
  let pool: Piscina | null = null;
  function started(): Piscina {
    pool ??= new Piscina({
      filename: new URL('./evaluate-thread.mjs', import.meta.url).href,
      minThreads: 0,
      maxThreads: MAX_THREADS,
      maxQueue: MAX_QUEUE,
      idleTimeout: IDLE_TIMEOUT_MS,
      // The entry registers tsx itself; the API process's own options (V8 flags, --import)
      // are not all accepted by a thread.
      execArgv: [],
    });
    if (pool.queueSize >= MAX_QUEUE) throw new EvaluationQueueFull();
    return pool;
  }
  return {
    async run(task) {
      return (await started().run(task)) as string;
    },
    async runGrid(task) {
      return (await started().run(task, { name: 'grid' })) as string;
    },
    async close() {
      await pool?.destroy();
      pool = null;
    },
  };
}
