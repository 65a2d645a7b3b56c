import type { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { JobRecords, type JobRecordsOptions } from '../../src/store/job-records.ts';
import { JobRuns, type JobRunsOptions } from '../../src/store/job-runs.ts';
import { JobSubmissions, type JobSubmissionsOptions } from '../../src/store/job-submissions.ts';
import { connectTestRedis } from './redis.ts';

type JobStoresOptions = JobRecordsOptions & JobSubmissionsOptions & JobRunsOptions;

/**
 * The three stores of a job's record on one connection, as the API (`jobs`, `submissions`) and a
 * worker (`runs`) build them: a test submits, runs and reads a job the way the service does.
 */
export function jobStores(
  redis: Redis,
  prefix: string,
  options: JobStoresOptions = {},
): { jobs: JobRecords; submissions: JobSubmissions; runs: JobRuns } {
  const jobs = new JobRecords(redis, prefix, options);
  return {
    jobs,
    submissions: new JobSubmissions(redis, prefix, jobs, options),
    runs: new JobRuns(redis, prefix, options),
  };
}

/**
 * For a whole test file: a connection to the test Redis, a fresh prefix (`label`-…) and the three
 * stores on them; after the file's tests the prefix's keys are deleted and the connection closed.
 */
export function useJobStores(
  label: string,
  options: JobStoresOptions = {},
): { redis: Redis; prefix: string; jobs: JobRecords; submissions: JobSubmissions; runs: JobRuns } {
  const { redis, prefix, cleanup } = connectTestRedis(label);
  afterAll(cleanup);
  return { redis, prefix, ...jobStores(redis, prefix, options) };
}
