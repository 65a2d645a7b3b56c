import { api, query } from '../api-client.ts';
import type { ComparisonList, Job, JobList } from '../api-types.ts';
import type { Catalogs } from '../catalog.ts';
import { h, notice, replaceChildren } from '../dom.ts';
import { formatInteger, formatNumber, formatStopReason, formatTime } from '../format.ts';
import { objectiveInfo } from '../objective-info.ts';
import { jobLabel } from '../runs.ts';
import { currentParams, navigate, replaceUrl, routeUrl } from '../url-state.ts';

/**
 * The job list (newest first, GET /v1/jobs pages) filtered by status and label, with the filters
 * and the page cursor in the URL; jobs can be ticked and opened together. The comparison list
 * is the same for GET /v1/comparisons.
 */

const STATUSES = ['', 'queued', 'running', 'completed', 'failed', 'cancelled'];
const PAGE_SIZE = 20;

function filters(kind: 'jobs' | 'comparisons') {
  const statusSelect = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    ...STATUSES.map((status) => h('option', { value: status }, status === '' ? 'any status' : status)),
  );
  const labelInput = h('input', {
    type: 'search',
    name: 'label',
    placeholder: 'label (exact)',
    'aria-label': 'Label',
  });
  const params = currentParams();
  statusSelect.value = params.get('status') ?? '';
  labelInput.value = params.get('label') ?? '';
  const apply = () =>
    navigate(
      routeUrl({ view: kind === 'jobs' ? 'jobs-list' : 'comparisons-list' }, undefined, {
        status: statusSelect.value,
        label: labelInput.value.trim(),
      }),
    );
  statusSelect.addEventListener('change', apply);
  labelInput.addEventListener('change', apply);
  return h('div', { class: 'filters' }, statusSelect, labelInput);
}

function listTable(headers: string[], rows: HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'list' },
      h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, ...rows),
    ),
  );
}

function pager(kind: 'jobs' | 'comparisons', nextCursor: string | null): HTMLElement {
  const params = currentParams();
  const here = { status: params.get('status') ?? '', label: params.get('label') ?? '' };
  const view = kind === 'jobs' ? 'jobs-list' : 'comparisons-list';
  return h(
    'div',
    { class: 'pager' },
    params.get('cursor')
      ? h('a', { href: routeUrl({ view }, undefined, here), class: 'button secondary' }, '« Newest')
      : '',
    nextCursor
      ? h(
          'a',
          { href: routeUrl({ view }, undefined, { ...here, cursor: nextCursor }), class: 'button secondary' },
          'Older »',
        )
      : '',
  );
}

export function createJobsListView(catalogs: Catalogs): HTMLElement {
  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading jobs…'));
  const selected = new Set<string>();
  const compareButton = h(
    'button',
    { type: 'button', class: 'primary', disabled: true },
    'Show selected together',
  );
  compareButton.addEventListener('click', () => navigate(routeUrl({ view: 'jobs', ids: [...selected] })));
  const element = h(
    'div',
    { class: 'list-view' },
    h(
      'header',
      { class: 'view-head' },
      h('h2', { class: 'view-title' }, 'Jobs'),
      h('div', { class: 'actions' }, compareButton),
    ),
    h('section', { class: 'panel' }, filters('jobs'), body),
  );
  const params = currentParams();
  const path = `/v1/jobs${query({ status: params.get('status'), label: params.get('label'), cursor: params.get('cursor'), limit: PAGE_SIZE })}`;
  api<JobList>(path)
    .then((list) => {
      if (list.items.length === 0) {
        replaceChildren(
          body,
          notice(
            'empty',
            params.get('status') || params.get('label') ? 'No job matches these filters.' : 'No jobs yet. ',
            h('a', { href: '/' }, 'Start a run'),
          ),
        );
        return;
      }
      const rows = list.items.map((job: Job) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `Select ${job.id}` });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(job.id);
          else selected.delete(job.id);
          compareButton.disabled = selected.size < 2;
        });
        const result = job.result;
        return h(
          'tr',
          { 'data-job-id': job.id },
          h('td', {}, box),
          h('td', {}, h('span', { class: `badge status-${job.status}` }, job.status)),
          h('td', {}, h('a', { href: routeUrl({ view: 'job', id: job.id }) }, jobLabel(job))),
          h('td', { class: 'ellipsis' }, objectiveInfo(catalogs, job.spec.objective).title),
          h(
            'td',
            {},
            result
              ? formatStopReason(result.stopReason)
              : job.progress
                ? `${formatInteger(job.progress.iteration)} / ${formatInteger(job.progress.maxIterations)}`
                : '—',
          ),
          h('td', { class: 'num' }, formatNumber(result?.f ?? job.progress?.f ?? null)),
          h('td', { class: 'num muted' }, formatTime(job.createdAt)),
        );
      });
      replaceChildren(
        body,
        listTable(['', 'status', 'label', 'objective', 'stop / progress', 'f', 'created'], rows),
        pager('jobs', list.nextCursor),
      );
    })
    .catch((error) =>
      replaceChildren(body, notice('error', `Could not list jobs: ${(error as Error).message}`)),
    );
  replaceUrl(window.location.pathname + window.location.search);
  return element;
}

export function createComparisonsListView(): HTMLElement {
  const body = h('div', { class: 'list-body' }, notice('loading', 'Loading comparisons…'));
  const element = h(
    'div',
    { class: 'list-view' },
    h('header', { class: 'view-head' }, h('h2', { class: 'view-title' }, 'Comparisons')),
    h('section', { class: 'panel' }, filters('comparisons'), body),
  );
  const params = currentParams();
  api<ComparisonList>(
    `/v1/comparisons${query({ status: params.get('status'), label: params.get('label'), cursor: params.get('cursor'), limit: PAGE_SIZE })}`,
  )
    .then((list) => {
      if (list.items.length === 0) {
        replaceChildren(
          body,
          notice('empty', 'No comparisons yet. ', h('a', { href: '/' }, 'Compare optimizers')),
        );
        return;
      }
      replaceChildren(
        body,
        listTable(
          ['status', 'label', 'runs', 'best', 'created'],
          list.items.map((comparison) =>
            h(
              'tr',
              {},
              h('td', {}, h('span', { class: `badge status-${comparison.status}` }, comparison.status)),
              h(
                'td',
                {},
                h(
                  'a',
                  { href: routeUrl({ view: 'comparison', id: comparison.id }) },
                  comparison.label ?? comparison.id.slice(0, 8),
                ),
              ),
              h('td', { class: 'num' }, String(comparison.jobs.length)),
              h(
                'td',
                {},
                comparison.ranking[0]
                  ? `${comparison.ranking[0].label} (${formatNumber(comparison.ranking[0].f)})`
                  : '—',
              ),
              h('td', { class: 'num muted' }, formatTime(comparison.createdAt)),
            ),
          ),
        ),
        pager('comparisons', list.nextCursor),
      );
    })
    .catch((error) => {
      const status = (error as { status?: number }).status;
      replaceChildren(
        body,
        status === 404
          ? notice('empty', 'This server has no comparisons API (GET /v1/comparisons is a 404).')
          : notice('error', `Could not list comparisons: ${(error as Error).message}`),
      );
    });
  return element;
}
