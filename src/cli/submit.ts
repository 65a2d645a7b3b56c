import type { TrajectoryPoint } from '../core/types.ts';
import { describeFetchError, followEvents, StreamLostError, StreamRefusedError } from './event-stream.ts';
import { ExitError, problemText, readSpecJson } from './spec.ts';

/**
 * `descent submit <spec.json | -> [--url U] [--watch]`: sends a job spec to a descent server.
 *
 * Without `--watch` it prints the queued Job. With `--watch` it follows `/v1/jobs/{id}/events`:
 * every trajectory point is one JSON line on stdout, a single progress line is redrawn on stderr
 * when stderr is a terminal, and the final Job is the last line. A dropped stream is resumed with
 * `Last-Event-ID` (src/cli/event-stream.ts), so no point is lost or printed twice.
 *
 * Exit codes: 0 when the job completed or was cancelled (or, without --watch, was accepted);
 * 1 when it failed or the server could not be reached; 2 when the server refused the request (4xx),
 * with its problem+json on stderr.
 */

export interface SubmitOptions {
  url?: string;
  watch: boolean;
}

/** The part of the Job resource the CLI reads; everything else is printed through untouched. */
interface JobSummary {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  spec?: { stop?: { maxIterations?: number } };
  progress?: { iteration: number; maxIterations: number; f: number | null; gradNorm: number | null } | null;
  links?: { events?: string };
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

export async function commandSubmit(source: string, options: SubmitOptions): Promise<void> {
  try {
    const code = await submit(source, options);
    process.exitCode = code;
  } catch (error) {
    if (!(error instanceof ExitError)) throw error;
    if (error.message !== '') process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
}

async function submit(source: string, options: SubmitOptions): Promise<number> {
  const spec = await readSpecJson(source);

  const baseUrl = (options.url ?? process.env.DESCENT_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const response = await request(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(spec),
  });
  const body = await response.text();
  if (!response.ok) throw new ExitError(httpErrorText(response, body), response.status < 500 ? 2 : 1);
  const job = JSON.parse(body) as JobSummary;
  if (!options.watch) {
    process.stdout.write(`${body.trim()}\n`);
    return 0;
  }
  const final = await watch(baseUrl, job);
  return final.status === 'failed' ? 1 : 0;
}

function authHeaders(): Record<string, string> {
  const key = process.env.DESCENT_API_KEY;
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The server's problem+json as it came (pretty-printed), or a problem built from the status line. */
function httpErrorText(response: { status: number; statusText: string }, body: string): string {
  try {
    return problemText(JSON.parse(body));
  } catch {
    return problemText({
      type: 'about:blank',
      title: response.statusText || 'HTTP error',
      status: response.status,
      detail: body.slice(0, 2000),
    });
  }
}

/** fetch, with an unreachable server reported as a readable error (exit 1) instead of a stack. */
async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new ExitError(`descent: cannot reach ${url}: ${describeFetchError(error)}`, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// --watch

async function watch(baseUrl: string, job: JobSummary): Promise<JobSummary> {
  const eventsUrl = `${baseUrl}/v1/jobs/${encodeURIComponent(job.id)}/events`;
  const progress = new ProgressLine(job.spec?.stop?.maxIterations);
  let lastIteration = -1;
  let final: JobSummary | undefined;
  // Ctrl-C leaves the job running on the server; just leave the terminal tidy.
  const onInterrupt = () => {
    progress.clear();
    process.stderr.write(`descent: stopped watching job ${job.id} (it keeps running on the server)\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);

  try {
    const events = followEvents(eventsUrl, {
      headers: authHeaders(),
      onReconnect: (reason) => progress.note(`reconnecting (${reason})`),
    });
    for await (const event of events) {
      if (event.event === 'points') {
        const { points } = JSON.parse(event.data) as { points: TrajectoryPoint[] };
        const lines: string[] = [];
        for (const point of points) {
          // Resumption is by Last-Event-ID; never print a point twice even if a server repeats one.
          if (point.i <= lastIteration) continue;
          lastIteration = point.i;
          lines.push(JSON.stringify(point));
        }
        if (lines.length > 0) {
          progress.clear();
          await writeStdout(`${lines.join('\n')}\n`);
          const last = points[points.length - 1];
          progress.update(last.i, last.f, last.gradNorm);
        }
      } else if (event.event === 'status' || event.event === 'end') {
        const update = JSON.parse(event.data) as JobSummary;
        progress.status(update);
        if (event.event === 'end') {
          final = update;
          break;
        }
      }
    }
  } catch (error) {
    if (error instanceof StreamRefusedError) {
      // A refused subscription will be refused again: report it (exit 2) rather than retry.
      throw new ExitError(httpErrorText(error, error.body), 2);
    }
    if (error instanceof StreamLostError) {
      throw new ExitError(`descent: lost the event stream of job ${job.id}: ${error.reason}`, 1);
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.clear();
  }
  if (final === undefined) throw new ExitError(`descent: the event stream of job ${job.id} ended early`, 1);
  await writeStdout(`${JSON.stringify(final)}\n`);
  return final;
}

/** Writes to stdout honouring back-pressure, so a slow pipe (`| head`, a file) loses nothing. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/** One status line on stderr, redrawn in place; silent when stderr is not a terminal. */
class ProgressLine {
  private readonly enabled = process.stderr.isTTY === true;
  private shown = false;
  private lastDraw = 0;
  private text = '';

  constructor(private maxIterations: number | undefined) {}

  update(iteration: number, f: number, gradNorm: number): void {
    const max = this.maxIterations === undefined ? '' : `/${this.maxIterations}`;
    this.text = `iteration ${iteration}${max}  f=${formatNumber(f)}  ‖g‖=${formatNumber(gradNorm)}`;
    // Redraw at most ~20 times a second: a fast run streams thousands of points per second.
    const now = Date.now();
    if (now - this.lastDraw >= 50) this.draw(now);
  }

  status(job: JobSummary): void {
    if (job.progress?.maxIterations !== undefined) this.maxIterations = job.progress.maxIterations;
    // f is null between the start of a run and its first report.
    if (job.progress && job.progress.f !== null && job.progress.gradNorm !== null && !this.text)
      this.update(job.progress.iteration, job.progress.f, job.progress.gradNorm);
    else if (!FINISHED.has(job.status) && !this.text) this.note(job.status);
  }

  note(message: string): void {
    this.text = message;
    this.draw(Date.now());
  }

  clear(): void {
    if (!this.enabled || !this.shown) return;
    process.stderr.write('\r\x1b[2K');
    this.shown = false;
    this.lastDraw = 0;
  }

  private draw(now: number): void {
    if (!this.enabled) return;
    // A terminal of unknown size reports 0 columns (a pty nobody sized, as under `script`).
    const width = process.stderr.columns || 80;
    process.stderr.write(`\r\x1b[2K${this.text.slice(0, Math.max(10, width - 1))}`);
    this.shown = true;
    this.lastDraw = now;
  }
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e-3 && magnitude < 1e5 ? value.toPrecision(6) : value.toExponential(4);
}
