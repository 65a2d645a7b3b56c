import type { Redis } from 'ioredis';
import { JobRecords, type JobRecordsOptions } from '../../src/store/job-records.ts';
import { JobRuns, type JobRunsOptions } from '../../src/store/job-runs.ts';
import { JobSubmissions, type JobSubmissionsOptions } from '../../src/store/job-submissions.ts';

/**
 * The three stores of a job's record on one connection, as the API (`jobs`, `submissions`) and a
 * worker (`runs`) build them: a test submits, runs and reads a job the way the service does.
 */
export function jobStores(
  redis: Redis,
  prefix: string,
  options: JobRecordsOptions & JobSubmissionsOptions & JobRunsOptions = {},
): { jobs: JobRecords; submissions: JobSubmissions; runs: JobRuns } {
  const jobs = new JobRecords(redis, prefix, options);
  return {
    jobs,
    submissions: new JobSubmissions(redis, prefix, jobs, options),
    runs: new JobRuns(redis, prefix, options),
  };
}
