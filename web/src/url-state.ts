import type { XKind } from './x-axis.ts';

/**
 * The page's state in its URL, so a link opens the same view: which view (`job`, `jobs`,
 * `comparison`, `view=jobs|comparisons`, or the start form), the chart settings (`x`, `logx`,
 * `smooth`, `gap`), the replay position (`at`), a contour box (`box=x0,x1,y0,y1`), and the job
 * list's filters (`status`, `label`, `cursor`). Navigation pushes a history entry; settings
 * replace the current one.
 */

export type Route =
  | { view: 'new' }
  | { view: 'jobs-list' }
  | { view: 'comparisons-list' }
  | { view: 'job'; id: string }
  | { view: 'jobs'; ids: string[] }
  | { view: 'comparison'; id: string };

export interface ViewSettings {
  x: XKind;
  logX: boolean;
  smoothing: number;
  gap: boolean;
  at: number | null;
  box: [number, number, number, number] | null;
}

export function currentParams(): URLSearchParams {
  return new URLSearchParams(window.location.search);
}

export function parseRoute(params = currentParams()): Route {
  const job = params.get('job');
  if (job) return { view: 'job', id: job };
  const jobs = params.get('jobs');
  if (jobs) return { view: 'jobs', ids: jobs.split(',').filter((id) => id !== '') };
  const comparison = params.get('comparison');
  if (comparison) return { view: 'comparison', id: comparison };
  const view = params.get('view');
  if (view === 'jobs') return { view: 'jobs-list' };
  if (view === 'comparisons') return { view: 'comparisons-list' };
  return { view: 'new' };
}

export function parseSettings(params = currentParams()): ViewSettings {
  const x = params.get('x');
  const smoothing = Number(params.get('smooth') ?? 0);
  const at = params.get('at');
  const box = params.get('box')?.split(',').map(Number);
  return {
    x: x === 't' || x === 'evals' ? x : 'i',
    logX: params.get('logx') === '1',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
    gap: params.get('gap') === '1',
    at: at !== null && at !== '' && Number.isInteger(Number(at)) ? Number(at) : null,
    box:
      box && box.length === 4 && box.every(Number.isFinite)
        ? (box as [number, number, number, number])
        : null,
  };
}

/** The URL of a route (and, for run views, its settings). */
export function routeUrl(
  route: Route,
  settings?: Partial<ViewSettings>,
  extra: Record<string, string> = {},
): string {
  const params = new URLSearchParams();
  if (route.view === 'job') params.set('job', route.id);
  else if (route.view === 'jobs') params.set('jobs', route.ids.join(','));
  else if (route.view === 'comparison') params.set('comparison', route.id);
  else if (route.view === 'jobs-list') params.set('view', 'jobs');
  else if (route.view === 'comparisons-list') params.set('view', 'comparisons');
  if (settings) {
    if (settings.x && settings.x !== 'i') params.set('x', settings.x);
    if (settings.logX) params.set('logx', '1');
    if (settings.smoothing) params.set('smooth', String(settings.smoothing));
    if (settings.gap) params.set('gap', '1');
    if (settings.at !== null && settings.at !== undefined) params.set('at', String(settings.at));
    if (settings.box) params.set('box', settings.box.join(','));
  }
  for (const [name, value] of Object.entries(extra)) if (value !== '') params.set(name, value);
  const search = params.toString();
  // Commas stay readable in shared links.
  return search === '' ? '/' : `/?${search.replaceAll('%2C', ',')}`;
}

const navigationListeners = new Set<() => void>();

export function onNavigate(listener: () => void): void {
  navigationListeners.add(listener);
  window.addEventListener('popstate', listener);
}

/** Opens another view (a history entry). */
export function navigate(url: string): void {
  window.history.pushState(null, '', url);
  for (const listener of navigationListeners) listener();
}

/** Records the current view's settings in the URL without a history entry. */
export function replaceUrl(url: string): void {
  if (url !== window.location.pathname + window.location.search) window.history.replaceState(null, '', url);
}

/** Links inside the page navigate without reloading it. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    const target = event.target as HTMLElement;
    const link = target.closest('a');
    if (!link || link.target || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)
      return;
    const href = link.getAttribute('href');
    if (!href || (!href.startsWith('/?') && href !== '/')) return;
    event.preventDefault();
    navigate(href);
  });
}
