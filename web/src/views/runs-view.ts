import { api } from '../api-client.ts';
import type { ObjectiveInput, RankingRow } from '../api-types.ts';
import type { Catalogs } from '../catalog.ts';
import { ChartGroup, type ChartSettings } from '../charts.ts';
import type { Box } from '../contour.ts';
import { ContourView } from '../contour-view.ts';
import { h, notice, replaceChildren } from '../dom.ts';
import { formatInteger } from '../format.ts';
import { FrameLoop } from '../frame-loop.ts';
import { boxAroundRuns, boxHoldsRuns, type ObjectiveInfo, objectiveInfo } from '../objective-info.ts';
import { RankingTable, rankRuns } from '../ranking.ts';
import { isDiverged, type Run, RunSet, runColorOf } from '../runs.ts';
import { SweepChart, sweepPoints } from '../sweep-chart.ts';
import { navigate, type Route, replaceUrl, routeUrl, type ViewSettings } from '../url-state.ts';
import { iterationAtX, X_LABELS, type XKind, xAccessor } from '../x-axis.ts';
import { JobDetails } from './job-details.ts';

/**
 * The view of one job, of jobs shown together, or of a comparison: a header with the stream's
 * state, the contour with every path (2-D objectives) and the replay scrubber, the charts with
 * their settings, the ranking (several runs), the U-curve (a sweep: a comparison's `sweep`, or
 * jobs that differ only in lr), and the job's details (one job). Everything is drawn from the
 * RunSet, once per animation frame.
 */

export interface RunsView {
  element: HTMLElement;
  destroy(): void;
}

type RunsRoute = Extract<Route, { view: 'job' | 'jobs' | 'comparison' }>;

/** Jobs shown together that differ only in lr (a sweep sent as separate jobs) are drawn as a sweep. */
function lrSweepOf(runs: Run[]): boolean {
  if (runs.length < 3 || runs.some((run) => run.job === null)) return false;
  const optimizers = runs.map((run) => run.job!.spec.optimizer as { name: string; lr?: number });
  const strip = (optimizer: { lr?: number }) => JSON.stringify({ ...optimizer, lr: undefined });
  const lrs = new Set(optimizers.map((optimizer) => optimizer.lr));
  return (
    lrs.size === runs.length && optimizers.every((optimizer) => strip(optimizer) === strip(optimizers[0]))
  );
}

export function createRunsView(route: RunsRoute, catalogs: Catalogs, initial: ViewSettings): RunsView {
  const settings: ViewSettings = { ...initial };
  const runSet = new RunSet();
  let info: ObjectiveInfo | null = null;
  let contour: ContourView | null = null;
  let contourBox: Box | null = null;
  let sweep: SweepChart | null = null;
  let details: JobDetails | null = null;
  let ranking: RankingTable | null = null;

  const title = h(
    'h2',
    { class: 'view-title' },
    route.view === 'comparison' ? 'Comparison' : route.view === 'jobs' ? 'Jobs' : 'Job',
  );
  const subtitle = h('p', { class: 'muted view-subtitle' });
  const streamBadge = h('span', { class: 'badge stream' }, 'connecting');
  const headActions = h('div', { class: 'actions' });
  const errorBox = h('div', { class: 'view-error' });
  const contourSlot = h('div', { class: 'contour-slot' });
  const legend = h('ul', { class: 'legend' });

  const scrubber = h('input', {
    type: 'range',
    min: '0',
    max: '0',
    step: '1',
    value: '0',
    'aria-label': 'Replay: iteration',
  });
  const scrubLabel = h('span', { class: 'scrub-label num' }, 'live');
  const liveButton = h(
    'button',
    { type: 'button', class: 'secondary small', title: 'Follow the newest points' },
    'Live',
  );
  const scrubBar = h(
    'div',
    { class: 'scrubber' },
    h('span', { class: 'muted' }, 'replay'),
    scrubber,
    scrubLabel,
    liveButton,
  );

  const chartSettings = (): ChartSettings => ({
    x: settings.x,
    logX: settings.logX,
    smoothing: settings.smoothing,
    gap: settings.gap,
  });
  const knownMinimum = () => info?.minimum ?? null;
  const charts = new ChartGroup(chartSettings(), knownMinimum, {
    onCursor: (x) => {
      if (x === null || runSet.runs.length === 0) {
        contour?.setAt(settings.at);
        return;
      }
      const run = longestRun();
      const iteration = run ? iterationAtX(settings.x, run, x) : -1;
      contour?.setAt(iteration < 0 ? settings.at : iteration);
    },
  });

  const xSelect = h(
    'select',
    { 'aria-label': 'x axis' },
    ...(['i', 't', 'evals'] as XKind[]).map((kind) =>
      h('option', { value: kind, selected: kind === settings.x }, X_LABELS[kind]),
    ),
  );
  const logX = h('input', { type: 'checkbox', checked: settings.logX });
  const gap = h('input', { type: 'checkbox', checked: settings.gap });
  const gapLabel = h('label', { class: 'check', title: 'f minus the known minimum f*' }, gap, 'f − f*');
  const smoothing = h('input', {
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: String(settings.smoothing),
    'aria-label': 'Smoothing',
  });
  const smoothingValue = h('span', { class: 'num small' }, settings.smoothing.toFixed(2));
  const chartControls = h(
    'div',
    { class: 'chart-controls' },
    h('label', {}, 'x ', xSelect),
    h('label', { class: 'check' }, logX, 'log x'),
    gapLabel,
    h('label', { class: 'smoothing' }, 'smoothing ', smoothing, smoothingValue),
    h('span', { class: 'muted small hint' }, 'drag to zoom · double-click to reset'),
  );

  const rankingSlot = h('div', { class: 'ranking-slot' });
  const sweepSlot = h('div', { class: 'sweep-slot' });
  const detailsSlot = h('div', { class: 'details-slot' });

  const element = h(
    'div',
    { class: 'runs-view', 'data-view': route.view },
    h(
      'header',
      { class: 'view-head' },
      h('div', {}, h('div', { class: 'title-row' }, title, streamBadge), subtitle),
      headActions,
    ),
    errorBox,
    h(
      'div',
      { class: 'runs-grid' },
      h('section', { class: 'panel contour-panel' }, contourSlot, scrubBar, legend),
      h('section', { class: 'panel charts-panel' }, chartControls, charts.element),
    ),
    sweepSlot,
    rankingSlot,
    detailsSlot,
  );

  function longestRun(): Run | undefined {
    let best: Run | undefined;
    for (const run of runSet.runs)
      if (!best || run.series.lastIteration > best.series.lastIteration) best = run;
    return best;
  }

  function saveUrl(): void {
    replaceUrl(routeUrl(route, settings));
  }

  function setAt(at: number | null): void {
    settings.at = at;
    contour?.setAt(at);
    if (at === null) {
      scrubLabel.textContent = 'live';
      charts.setCursorX(null);
    } else {
      scrubLabel.textContent = `${formatInteger(at)}`;
      const run = longestRun();
      if (run) {
        const k = run.series.indexAtIteration(at);
        if (k >= 0) charts.setCursorX(xAccessor(settings.x, run)(k));
      }
    }
    saveUrl();
  }

  scrubber.addEventListener('input', () => {
    const value = Number(scrubber.value);
    setAt(value >= Number(scrubber.max) && !runSet.finished ? null : value);
  });
  liveButton.addEventListener('click', () => setAt(null));
  xSelect.addEventListener('change', () => {
    settings.x = xSelect.value as XKind;
    charts.setSettings(chartSettings());
    saveUrl();
  });
  logX.addEventListener('change', () => {
    settings.logX = logX.checked;
    charts.setSettings(chartSettings());
    saveUrl();
  });
  gap.addEventListener('change', () => {
    settings.gap = gap.checked;
    charts.setSettings(chartSettings());
    saveUrl();
  });
  smoothing.addEventListener('input', () => {
    settings.smoothing = Number(smoothing.value);
    smoothingValue.textContent = settings.smoothing.toFixed(2);
    charts.setSettings(chartSettings());
    saveUrl();
  });

  const frames = new FrameLoop(() => {
    contour?.drawPaths();
    charts.update();
    // What arrived so far, for the bench and the tests.
    element.dataset.points = String(runSet.runs.reduce((sum, run) => sum + run.series.length, 0));
    const last = longestRun()?.series.lastIteration ?? 0;
    scrubber.max = String(Math.max(0, last));
    if (settings.at === null) scrubber.value = scrubber.max;
  });

  function objectiveOfRuns(): { objective: ObjectiveInput; seed?: number } | null {
    if (runSet.comparison) {
      return {
        objective: runSet.comparison.spec.objective,
        seed: runSet.comparison.spec.seed as number | undefined,
      };
    }
    const job = runSet.runs.find((run) => run.job !== null)?.job;
    return job ? { objective: job.spec.objective as ObjectiveInput, seed: job.spec.seed } : null;
  }

  /** The contour, once the objective is known and 2-D; its box from the URL, the catalog or the paths. */
  function ensureContour(): void {
    const objective = objectiveOfRuns();
    if (objective === null) return;
    info ??= objectiveInfo(catalogs, objective.objective);
    gapLabel.hidden = info.minimum === null;
    if (!info.twoD) {
      contourSlot.replaceChildren(
        notice(
          'empty',
          info.title.startsWith('model') || objective.objective.type === 'model'
            ? 'A model has no contour: its loss is charted on the right.'
            : 'No contour: the objective is not 2-D.',
        ),
      );
      scrubBar.hidden = runSet.runs.every((run) => !run.series.hasX);
      return;
    }
    const urlBox: Box | null = settings.box
      ? { x: [settings.box[0], settings.box[1]], y: [settings.box[2], settings.box[3]] }
      : null;
    let box = urlBox ?? info.box;
    if (box === null) {
      // An expression: around the paths, grown (once more) if a finished path leaves it.
      if (contourBox !== null && (!runSet.finished || boxHoldsRuns(contourBox, runSet.runs))) return;
      box = boxAroundRuns(runSet.runs);
      if (box === null) return;
    } else if (contourBox !== null) {
      return;
    }
    contourBox = box;
    if (contour === null) {
      contour = new ContourView();
      contourSlot.replaceChildren(contour.element);
    }
    contour.setRuns(runSet.runs);
    contour.setAt(settings.at);
    void contour.setObjective(objective.objective, box, info.minimizers, objective.seed);
  }

  function updateLegend(): void {
    replaceChildren(
      legend,
      ...runSet.runs.map((run) =>
        h(
          'li',
          { 'data-job-id': run.jobId },
          h('span', { class: 'swatch', style: `background:${runColorOf(run)}` }),
          h('a', { href: routeUrl({ view: 'job', id: run.jobId }) }, run.label),
          isDiverged(run) ? h('span', { class: 'reason reason-diverged' }, ' diverged') : '',
        ),
      ),
    );
  }

  function rankingRows(): RankingRow[] {
    if (runSet.comparison) return runSet.comparison.ranking;
    const rows = rankRuns(runSet.runs, knownMinimum);
    if (lrSweepOf(runSet.runs)) {
      for (const row of rows) {
        const run = runSet.runs.find((candidate) => candidate.jobId === row.jobId);
        const lr = (run?.job?.spec.optimizer as { lr?: number } | undefined)?.lr;
        if (lr !== undefined) row.param = { name: 'lr', value: lr };
      }
    }
    return rows;
  }

  function updateTables(): void {
    const rows = rankingRows();
    const isSweep = runSet.comparison ? runSet.comparison.spec.sweep !== null : lrSweepOf(runSet.runs);
    if (isSweep) {
      if (!runSet.comparison) {
        // Jobs sent as a sweep: colour them by lr rank, as a comparison's sweep is.
        const order = [...runSet.runs].sort(
          (a, b) =>
            ((a.job!.spec.optimizer as { lr: number }).lr ?? 0) -
            ((b.job!.spec.optimizer as { lr: number }).lr ?? 0),
        );
        order.forEach((run, k) => {
          run.sweepRank = { k, n: order.length };
        });
      }
      if (sweep === null) {
        sweep = new SweepChart();
        sweepSlot.replaceChildren(sweep.element);
      }
      const colors = new Map(runSet.runs.map((run) => [run.jobId, runColorOf(run)]));
      sweep.update(sweepPoints(rows, (jobId) => colors.get(jobId) ?? 'gray'));
    }
    if (runSet.runs.length > 1 || runSet.comparison) {
      if (ranking === null) {
        ranking = new RankingTable();
        rankingSlot.replaceChildren(
          h('section', { class: 'panel' }, h('h3', {}, 'Ranking'), ranking.element),
        );
      }
      ranking.update(rows, runSet.runs);
    }
    if (route.view === 'job' && runSet.runs[0]?.job) {
      if (details === null) {
        details = new JobDetails(() => void runSet.refresh(route.id));
        detailsSlot.replaceChildren(details.element);
      }
      details.update(runSet.runs[0].job);
    }
  }

  function updateHead(): void {
    const comparison = runSet.comparison;
    const first = runSet.runs[0]?.job;
    if (comparison) {
      title.textContent =
        comparison.label ??
        (comparison.spec.sweep
          ? `lr sweep of ${(comparison.spec.sweep.optimizer as { name: string }).name}`
          : 'Comparison');
    } else if (route.view === 'job' && first) {
      title.textContent = runSet.runs[0].label;
    } else if (route.view === 'jobs') {
      title.textContent =
        runSet.runs.length <= 4
          ? runSet.runs.map((run) => run.label).join(' · ')
          : `${runSet.runs.length} jobs`;
    }
    if (info) subtitle.textContent = info.title;
    const finished = runSet.finished;
    const status =
      comparison?.status ??
      (finished
        ? 'finished'
        : runSet.runs.some((run) => run.job?.status === 'running')
          ? 'running'
          : 'queued');
    streamBadge.textContent = runSet.error
      ? 'error'
      : runSet.streamState === 'reconnecting'
        ? 'reconnecting…'
        : finished
          ? status
          : `live · ${status}`;
    streamBadge.className = `badge stream stream-${runSet.error ? 'error' : finished ? 'done' : 'live'}`;
    if (comparison) {
      replaceChildren(
        headActions,
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            disabled: finished,
            onclick: () =>
              void api(`/v1/comparisons/${encodeURIComponent(comparison.id)}/cancel`, {
                method: 'POST',
              }).catch(showError),
          },
          'Cancel all',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            disabled: !finished,
            onclick: () => {
              if (!window.confirm('Delete this comparison and its jobs?')) return;
              api(`/v1/comparisons/${encodeURIComponent(comparison.id)}`, { method: 'DELETE' })
                .then(() => navigate(routeUrl({ view: 'comparisons-list' })))
                .catch(showError);
            },
          },
          'Delete',
        ),
      );
    }
  }

  function showError(error: unknown): void {
    replaceChildren(errorBox, notice('error', (error as Error).message));
  }

  runSet.onChange((change) => {
    if (change === 'points') {
      if (contour === null || (info?.box === null && runSet.finished)) ensureContour();
      frames.request();
      return;
    }
    if (change === 'stream') {
      if (runSet.error) {
        const status = (runSet.error as { status?: number }).status;
        showError(
          status === 404
            ? new Error(
                `Not found: no ${route.view === 'comparison' ? 'comparison' : 'job'} with this id (deleted, or another tenant's).`,
              )
            : runSet.error,
        );
      }
      updateHead();
      return;
    }
    ensureContour();
    if (change === 'runs') {
      charts.setRuns(runSet.runs);
      contour?.setRuns(runSet.runs);
      updateLegend();
    } else {
      // A run finished: its markers (diverged, early stop) and the evaluations axis change.
      charts.rebuild();
      updateLegend();
      contour?.redrawPaths();
    }
    updateTables();
    updateHead();
    frames.request();
  });

  if (route.view === 'comparison') runSet.watchComparison(route.id);
  else runSet.watchJobs(route.view === 'job' ? [route.id] : route.ids);
  contourSlot.replaceChildren(notice('loading', 'Waiting for the first points…'));
  if (settings.at !== null) setAt(settings.at);

  const onTheme = () => {
    contour?.repaint();
    charts.rebuild();
    updateLegend();
  };
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', onTheme);

  return {
    element,
    destroy() {
      media.removeEventListener('change', onTheme);
      frames.cancel();
      runSet.close();
      charts.destroy();
      contour?.destroy();
      sweep?.destroy();
    },
  };
}
