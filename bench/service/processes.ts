import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The service bench's child processes (API, workers, the ceiling pair) and their CPU time. */

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Child {
  process: ChildProcess;
  /** The last 4,000 characters it wrote to stdout and stderr. */
  output(): string;
}

/**
 * Starts a TypeScript process of the repository. BENCH_CHILD_NODE_ARGS adds node flags to it, for
 * profiling under the bench's load, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`.
 */
export function spawnTs(script: string, env: Record<string, string>): Child {
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], {
    cwd: ROOT,
    // CPU workers: the service benches measure the CPU path (no Dawn in their processes).
    env: { ...process.env, WORKER_DEVICES: 'cpu', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { process: child, output: () => output };
}

/** SIGTERM, then SIGKILL after 15 s; resolves once it has exited. */
export async function stopChild(child: Child | undefined): Promise<void> {
  if (!child) return;
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` every 100 ms until it holds; fails when `child` exits first or after `ms`. */
export async function waitForChild(
  what: string,
  child: Child,
  check: () => Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(
        `bench/service: ${what}: the process exited (${child.process.exitCode}):\n${child.output()}`,
      );
    }
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`bench/service: ${what} not ready after ${ms} ms:\n${child.output()}`);
}

/**
 * CPU time (user + system, ms) of each process so far: the bench's own from process.cpuUsage,
 * the others from /proc/<pid>/stat (Linux; a process that cannot be read is left out).
 */
function cpuMilliseconds(pids: Record<string, number | undefined>): Record<string, number> {
  const usage = process.cpuUsage();
  const times: Record<string, number> = { client: (usage.user + usage.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    try {
      // fields after the parenthesised command: utime and stime are the 12th and 13th, in ticks (100/s)
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      times[name] = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      /* not Linux, or the process is gone */
    }
  }
  return times;
}

/** CPU spent by a set of processes (and this one, as `client`) over the calls to `during`. */
export class CpuTally {
  private readonly totals: Record<string, number> = {};
  constructor(private readonly pids: Record<string, number | undefined>) {}

  async during<T>(work: () => Promise<T>): Promise<T> {
    const before = cpuMilliseconds(this.pids);
    const result = await work();
    const after = cpuMilliseconds(this.pids);
    for (const key of Object.keys(after))
      this.totals[key] = (this.totals[key] ?? 0) + after[key] - before[key];
    return result;
  }

  /** `{ <prefix>ApiCpuMsPerJob: …, … }` (`apiCpuMsPerJob` with no prefix), and their total. */
  perJob(prefix: string, jobs: number): Record<string, number> {
    const name = (key: string) => (prefix === '' ? key : `${prefix}${key[0].toUpperCase()}${key.slice(1)}`);
    const entries = Object.entries(this.totals).map(([key, ms]) => [name(`${key}CpuMsPerJob`), ms / jobs]);
    const total = Object.values(this.totals).reduce((sum, ms) => sum + ms, 0) / jobs;
    return { ...Object.fromEntries(entries), [name('totalCpuMsPerJob')]: total };
  }
}
