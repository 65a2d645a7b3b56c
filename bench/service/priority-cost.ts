import { QUEUE_JOB_OPTIONS } from '../../src/queue/job-queue.ts';
import { type BenchRow, median } from '../stats.ts';
import { IN_FLIGHT, pool } from './common.ts';
import { rawBullmqRound } from './raw-bullmq.ts';

/**
 * (f) what the fair order's priorities cost BullMQ itself, an informational row: raw BullMQ
 * (`queue.add` of no-op jobs, IN_FLIGHT in flight, a no-op Worker at the service's concurrency,
 * in this process, as figure (a)'s reference) with every job given a priority as the service
 * gives them (one tenant's n-th active job: priority n), ÷ the same without priorities, in
 * alternating rounds on the same Redis. A prioritized job goes to a sorted set (an O(log n) add
 * and pop) instead of the wait list.
 */

const JOBS = 3000;
const ROUNDS = 4;

async function round(redisUrl: string, prefix: string, name: string, prioritized: boolean): Promise<number> {
  const measured = await rawBullmqRound(redisUrl, prefix, name, JOBS, (queue) =>
    pool(JOBS, IN_FLIGHT, async (k) => {
      const jobId = `${name}-${k}`;
      const priority = prioritized ? { priority: k + 1 } : {};
      await queue.add('run', { jobId }, { ...QUEUE_JOB_OPTIONS, jobId, ...priority });
    }),
  );
  return measured.jobsPerSecond;
}

export async function priorityCostRow(redisUrl: string, prefix: string): Promise<BenchRow> {
  await round(redisUrl, prefix, 'prio-warm-plain', false);
  await round(redisUrl, prefix, 'prio-warm-prio', true);
  const plain: number[] = [];
  const prioritized: number[] = [];
  for (let k = 1; k <= ROUNDS; k++) {
    plain.push(await round(redisUrl, prefix, `prio-plain-${k}`, false));
    prioritized.push(await round(redisUrl, prefix, `prio-prio-${k}`, true));
  }
  const ratios = prioritized.map((rate, k) => rate / plain[k]);
  return {
    name: 'service: BullMQ with priorities ÷ without (info)',
    ratio: median(prioritized) / median(plain),
    goal: 'none',
    pass: null,
    details: {
      prioritizedJobsPerSecond: median(prioritized),
      plainJobsPerSecond: median(plain),
      roundRatioMin: Math.min(...ratios),
      roundRatioMax: Math.max(...ratios),
      jobsPerRound: JOBS,
      rounds: ROUNDS,
    },
  };
}
