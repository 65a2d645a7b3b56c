import './styles.css';
import { onUnauthorized } from './api-client.ts';
import { storedApiKey } from './api-key.ts';
import { type Catalogs, loadCatalogs } from './catalog.ts';
import { h, notice, replaceChildren } from './dom.ts';
import { interceptLinks, onNavigate, parseRoute, parseSettings, type Route } from './url-state.ts';
import { createComparisonsListView, createJobsListView } from './views/jobs-list-view.ts';
import { createKeyPromptView } from './views/key-prompt-view.ts';
import { createRunsView } from './views/runs-view.ts';
import { createStartView } from './views/start-view.ts';

/**
 * The dashboard's entry: the top bar, and the view the URL names (url-state.ts), rebuilt on
 * navigation. The catalogs load once; a 401 anywhere shows the key prompt (api-key.ts).
 */

const app = document.getElementById('app')!;
const main = h('main', { class: 'view' });
const nav = h(
  'nav',
  { class: 'top-nav', 'aria-label': 'Views' },
  h('a', { href: '/', 'data-nav': 'new' }, 'New run'),
  h('a', { href: '/?view=jobs', 'data-nav': 'jobs-list' }, 'Jobs'),
  h('a', { href: '/?view=comparisons', 'data-nav': 'comparisons-list' }, 'Comparisons'),
);
const header = h(
  'header',
  { class: 'top-bar' },
  h('a', { href: '/', class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'descent'),
  nav,
  h('a', { href: '/docs', class: 'docs-link', target: '_blank', rel: 'noopener' }, 'API docs'),
);
replaceChildren(app, header, main);
interceptLinks(document.body);

let current: { destroy?(): void } | null = null;
let catalogs: Catalogs | null = null;
let prompting = false;

function showKeyPrompt(): void {
  if (prompting) return;
  prompting = true;
  current?.destroy?.();
  current = null;
  replaceChildren(
    main,
    createKeyPromptView(() => {
      prompting = false;
      void render();
    }, storedApiKey() !== null),
  );
}

onUnauthorized(showKeyPrompt);

function activeNav(route: Route): void {
  const section =
    route.view === 'comparison'
      ? 'comparisons-list'
      : route.view === 'job' || route.view === 'jobs'
        ? 'jobs-list'
        : route.view;
  nav.querySelectorAll('a').forEach((link) => {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
}

async function render(): Promise<void> {
  current?.destroy?.();
  current = null;
  const route = parseRoute();
  activeNav(route);
  if (catalogs === null) {
    replaceChildren(main, notice('loading', 'Loading the catalogs…'));
    try {
      catalogs = await loadCatalogs();
    } catch (error) {
      if ((error as { status?: number }).status === 401) return;
      replaceChildren(
        main,
        notice(
          'error',
          `The API did not answer: ${(error as Error).message}`,
          h('button', { type: 'button', class: 'secondary', onclick: () => void render() }, 'Retry'),
        ),
      );
      return;
    }
  }
  if (prompting) return;
  if (route.view === 'new') {
    const view = createStartView(catalogs);
    current = view;
    replaceChildren(main, view.element);
  } else if (route.view === 'jobs-list') {
    replaceChildren(main, createJobsListView(catalogs));
  } else if (route.view === 'comparisons-list') {
    replaceChildren(main, createComparisonsListView());
  } else {
    const view = createRunsView(route, catalogs, parseSettings());
    current = view;
    replaceChildren(main, view.element);
  }
  window.scrollTo(0, 0);
}

onNavigate(() => void render());
void render();
