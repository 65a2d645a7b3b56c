import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { JobRecords } from '../../src/store/job-records.ts';
import { createTestRedis, testRedisUrl } from '../helpers/redis.ts';

/** Worker processes as deployed (`node --import tsx workers/worker.ts`), on the test Redis. */

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Its JSON log lines so far (a line that is not JSON as `{ msg }`). */
  logs: Record<string, unknown>[];
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** The worker processes of one suite (one key prefix); `killAll` after each test. */
export class WorkerProcesses {
  private readonly children: WorkerProcess[] = [];

  constructor(private readonly prefix: string) {}

  /** One CPU worker (concurrency 1, info logs, checkpoints every 300 ms) with `env` on top. */
  spawn(env: Record<string, string> = {}, nodeArgs: string[] = []): WorkerProcess {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'workers/worker.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: this.prefix,
        WORKER_CONCURRENCY: '1',
        WORKER_DEVICES: 'cpu',
        CHECKPOINT_INTERVAL_MS: '300',
        WORKER_HEARTBEAT_MS: '100',
        LOG_LEVEL: 'info',
        JOB_TTL_SECONDS: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: Record<string, unknown>[] = [];
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const worker: WorkerProcess = {
      child,
      logs,
      // 'close', not 'exit': the last log lines arrive after the process has exited.
      exited: once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>,
    };
    this.children.push(worker);
    return worker;
  }

  async killAll(): Promise<void> {
    for (const worker of this.children.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
  }
}

/** The id a worker process logged at start. */
export function workerId(worker: WorkerProcess): unknown {
  return worker.logs.find((line) => line.msg === 'worker started')?.workerId;
}

/** Every status change of the job, in order. */
export async function recordEvents(
  jobs: JobRecords,
  jobId: string,
): Promise<{ events: string[]; stop(): void }> {
  const subscriber = createTestRedis();
  const events: string[] = [];
  subscriber.on('message', (_channel, status: string) => events.push(status));
  await subscriber.subscribe(jobs.keys.events(jobId));
  return { events, stop: () => subscriber.disconnect() };
}
