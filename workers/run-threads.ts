import { Worker } from 'node:worker_threads';
import type { Handover, JobOutcome } from './job-life.ts';

/**
 * The worker threads that run jobs (workers/thread.ts), one job per thread at a time, managed
 * with node:worker_threads directly. All of them start, open their Redis connection and load the
 * core before the worker takes its first job, so neither a first job nor one handed over by a
 * stopping worker waits for a thread to start. The worker runs at most `count` jobs at once
 * (BullMQ concurrency), so a thread is always free; a thread that dies (an uncaught error, out of
 * memory) fails the job it ran and is replaced.
 *
 * A job's AbortSignal is forwarded as a message ({type: 'abort', reason}); the thread's run sees
 * it between two slices (~20 ms): a user cancel stops the run, HAND_BACK makes it checkpoint.
 *
 * Why not piscina: it aborts a task by terminating its thread, while a run must stop on its own
 * (store its last points, or a checkpoint to resume from); its task queue, idle timeouts and
 * resizing have nothing to do here (one thread per concurrency slot, for the process's life).
 *
 * Threads inherit the process's node options (no `execArgv` is passed), which Node accepts even
 * for those it refuses in an explicit `execArgv` (V8 and per-process ones such as
 * `--max-old-space-size` or `--title`); those apply to the whole process anyway.
 */

export const THREAD_ENTRY = new URL('./thread-entry.mjs', import.meta.url);

/** Settings the worker process hands each thread (workerData.settings). */
export interface ThreadSettings {
  redisUrl: string;
  redisPrefix: string;
  checkpointIntervalMs: number;
  inlineParamsMaxDim: number;
  jobTtlSeconds: number;
  /** Bytes of data sets each thread keeps in memory (workers/dataset-cache.ts); default 64 MiB. */
  datasetCacheBytes?: number;
}

/** Main thread → run thread. */
export type ToThread =
  | { type: 'run'; handover: Handover; abort: string | null }
  | { type: 'abort'; reason: string }
  | { type: 'close' };

/** Run thread → main thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'done'; outcome: JobOutcome }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };

interface Task {
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
}

interface RunThread {
  worker: Worker;
  task: Task | null;
}

export interface RunThreadsOptions {
  /** A thread died; it is replaced (unless closing). */
  onThreadExit?: (error: Error) => void;
  /** The module each thread starts with (tests); default THREAD_ENTRY. */
  entry?: URL;
}

export class RunThreads {
  private readonly idle: RunThread[] = [];
  private readonly waiting: ((thread: RunThread) => void)[] = [];
  private readonly threads = new Set<RunThread>();
  private closing = false;

  private constructor(
    private readonly settings: ThreadSettings,
    private readonly options: RunThreadsOptions,
  ) {}

  /** Starts `count` threads; resolves once every one is ready for a job. */
  static async start(
    count: number,
    settings: ThreadSettings,
    options: RunThreadsOptions = {},
  ): Promise<RunThreads> {
    const pool = new RunThreads(settings, options);
    try {
      await Promise.all(Array.from({ length: count }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Threads started and not exited. */
  get size(): number {
    return this.threads.size;
  }

  /** Runs a handed-over job on a free thread, forwarding `signal`'s abort to it. */
  async run(handover: Handover, signal?: AbortSignal): Promise<JobOutcome> {
    if (this.closing) throw new Error('the run threads are closed');
    const thread = await this.acquire();
    const onAbort = () => {
      thread.worker.postMessage({ type: 'abort', reason: String(signal?.reason) } satisfies ToThread);
    };
    try {
      return await new Promise<JobOutcome>((resolve, reject) => {
        thread.task = { resolve, reject };
        const abort = signal?.aborted ? String(signal.reason) : null;
        thread.worker.postMessage({ type: 'run', handover, abort } satisfies ToThread);
        if (abort === null) signal?.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      thread.task = null;
      if (this.threads.has(thread)) this.release(thread);
    }
  }

  /** Stops every thread (each closes its Redis connection first); running jobs are not waited for. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.threads].map(async (thread) => {
        const exited = new Promise((resolve) => thread.worker.once('exit', resolve));
        thread.worker.postMessage({ type: 'close' } satisfies ToThread);
        const timer = setTimeout(() => void thread.worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(): Promise<void> {
    const worker = new Worker(this.options.entry ?? THREAD_ENTRY, {
      workerData: { settings: this.settings },
    });
    const thread: RunThread = { worker, task: null };
    this.threads.add(thread);
    return new Promise((resolve, reject) => {
      let ready = false;
      let failure: Error | null = null;
      worker.on('message', (message: FromThread) => {
        if (message.type === 'ready') {
          ready = true;
          this.release(thread);
          resolve();
        } else if (message.type === 'done') thread.task?.resolve(message.outcome);
        else thread.task?.reject(Object.assign(new Error(), message.error));
      });
      worker.on('error', (error) => {
        failure = error;
      });
      worker.on('exit', (code) => {
        this.threads.delete(thread);
        const index = this.idle.indexOf(thread);
        if (index >= 0) this.idle.splice(index, 1);
        const error = failure ?? new Error(`a run thread exited with code ${code}`);
        thread.task?.reject(error);
        if (!ready) {
          reject(error);
          return;
        }
        if (this.closing) return;
        this.options.onThreadExit?.(error);
        this.replace();
      });
    });
  }

  /** Starts a thread in place of one that died, retrying every second while that fails. */
  private replace(): void {
    this.spawn().catch((error: unknown) => {
      this.options.onThreadExit?.(error as Error);
      if (!this.closing) setTimeout(() => this.replace(), 1000).unref();
    });
  }

  private acquire(): Promise<RunThread> {
    const thread = this.idle.pop();
    if (thread !== undefined) return Promise.resolve(thread);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(thread: RunThread): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(thread);
    else this.idle.push(thread);
  }
}
