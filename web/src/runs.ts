import { api } from './api-client.ts';
import { type Comparison, FINISHED_STATUSES, type Job, type TrajectoryPoint } from './api-types.ts';
import { runColor, sweepColor } from './palette.ts';
import { RunSeries } from './run-series.ts';
import { readEventStream, type StreamEvent, type StreamState } from './sse-reader.ts';

/**
 * The runs a view shows, fed live: one job (`/?job=`), several jobs side by side (`/?jobs=`), or a
 * comparison (`/?comparison=`, one multiplexed stream). Points go into each run's columns as they
 * arrive; listeners hear "points" (redraw at the next frame), "status" (a job or the comparison
 * changed: tables, markers) and "runs" (the set of runs changed: rebuild the charts).
 */

export interface Run {
  jobId: string;
  label: string;
  /** Position in the view (colour index). */
  index: number;
  job: Job | null;
  series: RunSeries;
  /** A sweep's value of the swept parameter. */
  param: { name: string; value: number } | null;
  /** Set for a sweep: colour by rank of the swept value. */
  sweepRank: { k: number; n: number } | null;
}

export type RunsChange = 'points' | 'status' | 'runs' | 'stream';

export function runColorOf(run: Run): string {
  return run.sweepRank === null ? runColor(run.index) : sweepColor(run.sweepRank.k, run.sweepRank.n);
}

export function isFinished(run: Run): boolean {
  return run.job !== null && FINISHED_STATUSES.has(run.job.status);
}

export function isDiverged(run: Run): boolean {
  return run.job?.result?.stopReason === 'diverged';
}

/** A run's display label: the job's label, else "optimizer" with its lr. */
export function jobLabel(job: Job): string {
  if (job.spec.label) return job.spec.label;
  const optimizer = job.spec.optimizer as { name: string; lr?: number };
  return optimizer.lr === undefined ? optimizer.name : `${optimizer.name} lr=${optimizer.lr}`;
}

export class RunSet {
  runs: Run[] = [];
  comparison: Comparison | null = null;
  /** Stream states and errors, for the view's status line. */
  streamState: StreamState = 'connecting';
  error: Error | null = null;
  private readonly byId = new Map<string, Run>();
  private readonly listeners = new Set<(change: RunsChange) => void>();
  private readonly abort = new AbortController();

  onChange(listener: (change: RunsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: RunsChange): void {
    for (const listener of this.listeners) listener(change);
  }

  close(): void {
    this.abort.abort();
    this.listeners.clear();
  }

  get finished(): boolean {
    if (this.comparison !== null) return FINISHED_STATUSES.has(this.comparison.status);
    return this.runs.length > 0 && this.runs.every(isFinished);
  }

  private addRun(jobId: string, label: string, job: Job | null): Run {
    const run: Run = {
      jobId,
      label,
      index: this.runs.length,
      job,
      series: new RunSeries(),
      param: null,
      sweepRank: null,
    };
    this.runs.push(run);
    this.byId.set(jobId, run);
    return run;
  }

  private addPoints(run: Run | undefined, points: TrajectoryPoint[]): void {
    if (run === undefined) return;
    for (const point of points) run.series.push(point);
    this.emit('points');
  }

  private failed(error: unknown): void {
    if (this.abort.signal.aborted) return;
    this.error = error instanceof Error ? error : new Error(String(error));
    this.emit('stream');
  }

  private setState(state: StreamState): void {
    this.streamState = state;
    this.emit('stream');
  }

  /** Watches jobs, each on its own stream. */
  watchJobs(ids: string[]): void {
    for (const id of ids) this.addRun(id, id.slice(0, 8), null);
    this.emit('runs');
    let open = ids.length;
    for (const id of ids) {
      const run = this.byId.get(id);
      readEventStream({
        url: `/v1/jobs/${encodeURIComponent(id)}/events`,
        signal: this.abort.signal,
        onState: (state) => {
          if (state === 'ended') open--;
          if (state !== 'ended' || open === 0) this.setState(state);
        },
        onEvent: (event) => this.onJobEvent(run, event),
      }).catch((error) => this.failed(error));
    }
  }

  private onJobEvent(run: Run | undefined, event: StreamEvent): void {
    if (run === undefined) return;
    if (event.event === 'points') {
      this.addPoints(run, (JSON.parse(event.data) as { points: TrajectoryPoint[] }).points);
    } else if (event.event === 'status' || event.event === 'end') {
      const job = JSON.parse(event.data) as Job;
      const labelChanged = run.job === null;
      run.job = job;
      run.label = jobLabel(job);
      this.emit(labelChanged ? 'runs' : 'status');
    }
  }

  /** Watches a comparison on its multiplexed stream (points carry `jobId`). */
  watchComparison(id: string): void {
    readEventStream({
      url: `/v1/comparisons/${encodeURIComponent(id)}/events`,
      signal: this.abort.signal,
      onState: (state) => this.setState(state),
      onEvent: (event) => {
        if (event.event === 'points') {
          const data = JSON.parse(event.data) as { jobId: string; points: TrajectoryPoint[] };
          this.addPoints(this.byId.get(data.jobId), data.points);
        } else if (event.event === 'status' || event.event === 'end') {
          this.setComparison(JSON.parse(event.data) as Comparison);
        }
      },
    }).catch((error) => this.failed(error));
  }

  private setComparison(comparison: Comparison): void {
    this.comparison = comparison;
    let added = false;
    const sweep = comparison.spec.sweep;
    const order = sweep
      ? [...sweep.values].map((value, k) => ({ value, k })).sort((a, b) => a.value - b.value)
      : [];
    comparison.jobs.forEach((job, k) => {
      let run = this.byId.get(job.id);
      if (run === undefined) {
        run = this.addRun(job.id, comparison.spec.runs[k]?.label ?? jobLabel(job), job);
        added = true;
      }
      run.job = job;
      if (sweep) {
        run.param = { name: sweep.param, value: sweep.values[k] };
        run.sweepRank = { k: order.findIndex((entry) => entry.k === k), n: sweep.values.length };
      }
    });
    this.emit(added ? 'runs' : 'status');
  }

  /** Refreshes one job's resource (after a cancel). */
  async refresh(jobId: string): Promise<void> {
    const run = this.byId.get(jobId);
    if (run === undefined) return;
    run.job = await api<Job>(`/v1/jobs/${encodeURIComponent(jobId)}`);
    this.emit('status');
  }
}
