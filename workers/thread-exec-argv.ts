import { Worker } from 'node:worker_threads';

/**
 * The node options for processor threads. BullMQ starts every thread with the worker process's
 * own options (`process.execArgv`), and a thread refuses V8 options and per-process ones
 * (`node --max-old-space-size=4096 …`, `--title=…`) with ERR_WORKER_INVALID_EXEC_ARGV: every job
 * that needed a thread then failed. The threads get the process's options without those; V8
 * options are process-wide, so they still apply. (NODE_OPTIONS is not affected: threads inherit
 * it, and Node itself leaves out what a thread cannot take.)
 *
 * The processor entry registers tsx itself (processor-entry.mjs), so a thread needs none of them;
 * what is kept (`--enable-source-maps`, `--conditions`, profiling flags, …) is for the user. When
 * a thread takes them all, BullMQ's own handling stays (it gives each thread its own `--inspect`
 * port); only when one must go do the threads get the list below, without `--inspect*`.
 */

/**
 * Options a thread always accepts (or that only take a value), so that the common command lines
 * (`node --import tsx workers/worker.ts`) need no probe: a probe starts a throwaway thread.
 */
const KNOWN_THREAD_OPTIONS = new Set([
  '--import',
  '--require',
  '-r',
  '--loader',
  '--experimental-loader',
  '--conditions',
  '-C',
  '--enable-source-maps',
  '--no-warnings',
  '--no-deprecation',
  '--trace-warnings',
  '--trace-uncaught',
  '--cpu-prof',
  '--cpu-prof-dir',
  '--cpu-prof-name',
  '--cpu-prof-interval',
  '--heap-prof',
  '--heap-prof-dir',
]);

/** `--flag=value` and `--flag value…` as one option each (a value never starts with `-`). */
export function groupOptions(execArgv: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const token of execArgv) {
    if (token.startsWith('-') || groups.length === 0) groups.push([token]);
    else groups[groups.length - 1].push(token);
  }
  return groups;
}

function optionName(group: readonly string[]): string {
  return group[0].split('=')[0];
}

function isKnown(group: readonly string[]): boolean {
  return KNOWN_THREAD_OPTIONS.has(optionName(group));
}

/** Whether a worker thread starts with these options (a throwaway thread, stopped at once). */
async function threadAccepts(execArgv: string[]): Promise<boolean> {
  let probe: Worker;
  try {
    probe = new Worker('', { eval: true, execArgv, stdout: true, stderr: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_INVALID_EXEC_ARGV') return false;
    throw error;
  }
  await probe.terminate();
  return true;
}

export interface ThreadExecArgv {
  /** What the processor threads are started with; null: the process's own (BullMQ's default). */
  execArgv: string[] | null;
  /** The process's options left out: those a thread refuses, and then `--inspect*`. */
  dropped: string[];
}

export async function threadExecArgv(
  execArgv: readonly string[] = process.execArgv,
): Promise<ThreadExecArgv> {
  const groups = groupOptions(execArgv);
  // Probed without --inspect*: a throwaway thread would open the inspector.
  const candidates = groups.filter((group) => !optionName(group).startsWith('--inspect'));
  if (candidates.every(isKnown) || (await threadAccepts(candidates.flat()))) {
    return { execArgv: null, dropped: [] };
  }
  const kept = await filterAccepted(candidates);
  return {
    execArgv: kept.flat(),
    dropped: groups.filter((group) => !kept.includes(group)).map((group) => group.join(' ')),
  };
}

async function filterAccepted(groups: string[][]): Promise<string[][]> {
  const kept: string[][] = [];
  for (const group of groups) {
    if (isKnown(group) || (await threadAccepts(group))) kept.push(group);
  }
  return kept;
}
