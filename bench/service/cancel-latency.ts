import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchRow, median } from '../stats.ts';
import { now, STEP_TIMEOUT_MS, withTimeout } from './common.ts';
import type { HttpClient } from './http-client.ts';

/**
 * (b) cancel latency. CANCEL_JOBS long runs, one at a time: each is submitted, watched until its
 * run reports progress (it is then on a run thread, past its first slice), cancelled with
 * POST /v1/jobs/{id}/cancel, then polled every 2 ms with GET /v1/jobs/{id}; its latency is the
 * time from the cancel's response to the first GET that reads `cancelled`. ratio = the largest
 * latency ÷ 100 ms. Goal <= 1 (every cancel within 100 ms).
 */

/** A run that would take minutes (stopped by its cancel): rosenbrock, sgd with a tiny step. */
const CANCEL_SPEC = {
  objective: { type: 'builtin', name: 'rosenbrock' },
  optimizer: { name: 'sgd', lr: 1e-6 },
  stop: { maxIterations: 10_000_000, gradTol: 0 },
  seed: 1,
  label: 'bench-cancel',
};
const CANCEL_JOBS = 10;
const CANCEL_GOAL_MS = 100;

async function cancelLatencies(http: HttpClient, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let k = 0; k < count; k++) {
    const { id } = await http.postJson<{ id: string }>('/v1/jobs', CANCEL_SPEC);
    const job = async () =>
      JSON.parse((await http.request('GET', `/v1/jobs/${id}`)).body) as { status: string; progress: unknown };
    for (let current = await job(); current.status !== 'running' || current.progress === null; ) {
      if (current.status !== 'queued' && current.status !== 'running') {
        throw new Error(`bench/service: the job to cancel ended ${current.status} before its cancel`);
      }
      await sleep(5);
      current = await job();
    }
    const cancelled = await http.request('POST', `/v1/jobs/${id}/cancel`);
    const at = now();
    if (cancelled.status !== 200) throw new Error(`bench/service: cancel → ${cancelled.status}`);
    for (;;) {
      const { status } = await job();
      if (status === 'cancelled') break;
      if (status !== 'running') throw new Error(`bench/service: a cancelled job ended ${status}`);
      if (now() - at > STEP_TIMEOUT_MS) throw new Error('bench/service: a cancel was never honoured');
      await sleep(2);
    }
    latencies.push(now() - at);
  }
  return latencies;
}

/** Figure (b), while the service's worker runs. */
export async function cancelLatencyRow(http: HttpClient): Promise<BenchRow> {
  const latencies = await withTimeout(cancelLatencies(http, CANCEL_JOBS), 'cancel latency');
  const maxLatency = Math.max(...latencies);
  return {
    name: `service: cancel latency, max of ${CANCEL_JOBS} ÷ ${CANCEL_GOAL_MS} ms`,
    ratio: maxLatency / CANCEL_GOAL_MS,
    goal: '<= 1',
    pass: maxLatency <= CANCEL_GOAL_MS,
    details: {
      maxMs: maxLatency,
      medianMs: median(latencies),
      minMs: Math.min(...latencies),
      jobs: CANCEL_JOBS,
      goalMs: CANCEL_GOAL_MS,
    },
  };
}
