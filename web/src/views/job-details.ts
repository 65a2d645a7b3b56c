import { api, apiFetch } from '../api-client.ts';
import { FINISHED_STATUSES, type Job } from '../api-types.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatDuration, formatInteger, formatNumber, formatStopReason, formatTime } from '../format.ts';
import { navigate, routeUrl } from '../url-state.ts';

/**
 * One job's page below its charts: status and times, the result (stop reason, f, ‖g‖, best,
 * evaluations, validation for models), the diagnostics, the normalised spec, and the actions:
 * CSV download (fetched with the API key, saved from a blob), cancel, delete.
 */

function row(name: string, value: string | Node): HTMLElement {
  return h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, value));
}

export async function downloadCsv(job: Job): Promise<void> {
  const response = await apiFetch(`/v1/jobs/${encodeURIComponent(job.id)}/trajectory?format=csv`, {
    headers: { accept: 'text/csv' },
  });
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: `descent-${job.id}.csv` });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export class JobDetails {
  readonly element: HTMLElement;
  private readonly message: HTMLElement;

  constructor(private readonly onChanged: () => void) {
    this.message = h('p', { class: 'form-message', role: 'status' });
    this.element = h('section', { class: 'panel job-details' });
  }

  private async act(action: () => Promise<void>): Promise<void> {
    this.message.textContent = '';
    try {
      await action();
    } catch (error) {
      this.message.textContent = (error as Error).message;
      this.message.className = 'form-message error';
    }
  }

  update(job: Job): void {
    const result = job.result;
    const finished = FINISHED_STATUSES.has(job.status);
    const actions = h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => this.act(() => downloadCsv(job)),
        },
        'Download CSV',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          disabled: finished || job.cancelRequested,
          onclick: () =>
            this.act(async () => {
              await api(`/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' });
              this.onChanged();
            }),
        },
        job.cancelRequested && !finished ? 'Cancelling…' : 'Cancel',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          disabled: !finished,
          title: finished ? 'Delete the job and its trajectory' : 'A job can be deleted once it has finished',
          onclick: () =>
            this.act(async () => {
              if (!window.confirm('Delete this job and its trajectory?')) return;
              await api(`/v1/jobs/${encodeURIComponent(job.id)}`, { method: 'DELETE' });
              navigate(routeUrl({ view: 'jobs-list' }));
            }),
        },
        'Delete',
      ),
    );
    const rows: HTMLElement[] = [
      row('status', h('span', { class: `badge status-${job.status}` }, job.status)),
      row('created', formatTime(job.createdAt)),
      row('started', formatTime(job.startedAt)),
      row('finished', formatTime(job.finishedAt)),
    ];
    if (job.error) rows.push(row('error', `${job.error.code}: ${job.error.message}`));
    if (result) {
      rows.push(
        row(
          'stop reason',
          h('span', { class: `reason reason-${result.stopReason}` }, formatStopReason(result.stopReason)),
        ),
        row('converged', result.converged ? 'yes' : 'no'),
        row('f', formatNumber(result.f, 6)),
        row('‖g‖', formatNumber(result.gradNorm, 4)),
        row(
          'best f',
          `${formatNumber(result.best.f, 6)} at iteration ${formatInteger(result.best.iteration)}`,
        ),
        row('iterations', formatInteger(result.iterations)),
        row(
          'evaluations',
          `f ${formatInteger(result.evaluations.f)}, ∇f ${formatInteger(result.evaluations.gradient)}, ∇²f ${formatInteger(result.evaluations.hessian)}`,
        ),
        row('wall time', formatDuration(result.wallMs)),
      );
      // Result.device (API.md) is reported by servers with the GPU backend.
      const device = (result as { device?: { kind: string; precision: string; adapter: string | null } })
        .device;
      if (device)
        rows.push(
          row('device', `${device.kind} (${device.precision})${device.adapter ? `, ${device.adapter}` : ''}`),
        );
      if (result.x && result.x.length <= 6)
        rows.push(row('x', `(${result.x.map((value) => formatNumber(value, 6)).join(', ')})`));
      if (result.validation) {
        rows.push(
          row(
            'validation',
            `loss ${formatNumber(result.validation.loss)}${
              result.validation.accuracy === null
                ? ''
                : `, accuracy ${formatNumber(result.validation.accuracy)}`
            }, best at iteration ${formatInteger(result.validation.bestIteration)}`,
          ),
        );
      }
      const diagnostics = result.diagnostics;
      rows.push(
        row(
          'stationary point',
          diagnostics.stationaryPoint ??
            (diagnostics.skipped ? `not computed (${formatStopReason(diagnostics.skipped)})` : '—'),
        ),
        row('condition number', formatNumber(diagnostics.conditionNumber)),
      );
    } else if (job.progress) {
      rows.push(
        row(
          'iteration',
          `${formatInteger(job.progress.iteration)} of ${formatInteger(job.progress.maxIterations)}`,
        ),
        row('f', formatNumber(job.progress.f)),
      );
    }
    replaceChildren(
      this.element,
      h('div', { class: 'panel-head' }, h('h3', {}, 'Job'), actions),
      this.message,
      h(
        'div',
        { class: 'details-grid' },
        h('table', { class: 'facts' }, h('tbody', {}, ...rows)),
        h(
          'details',
          { class: 'spec', open: true },
          h('summary', { class: 'summary' }, 'Spec (normalised)'),
          h('pre', {}, JSON.stringify(job.spec, null, 2)),
        ),
      ),
    );
  }
}
