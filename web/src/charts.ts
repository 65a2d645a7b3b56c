import uPlot from 'uplot';
import { drawCross, drawDiamond } from './canvas-marks.ts';
import { type ColumnAxis, ColumnBins, columnXs } from './decimate.ts';
import { h, replaceChildren } from './dom.ts';
import { formatNumber } from './format.ts';
import { asinhTicks, logTicks } from './log-ticks.ts';
import { themeColor, withAlpha } from './palette.ts';
import { isDiverged, isFinished, type Run, runColorOf } from './runs.ts';
import { Ema } from './smoothing.ts';
import { niceCeil, X_LABELS, type XKind, xAccessor } from './x-axis.ts';

/**
 * The run charts (uPlot): f against x with every run overlaid, and small linked charts of ‖g‖
 * and lr (and validation accuracy for models) that share one cursor. Each line is decimated
 * per pixel column (decimate.ts), so a chart draws O(width) points per run however long the
 * runs, and new points cost O(1) each per frame.
 *
 * - y is logarithmic by default and asinh when a value is <= 0 (uPlot distr 3 and 4), linear
 *   below the smallest non-zero |value| shown (so the decades a converging run goes through stay
 *   readable while 0 and negative values are drawn).
 * - The y range comes from the runs that did not diverge (all runs when every one did), so a
 *   diverging run never squashes the others; its last point is marked ✕ (clipped to the edge).
 * - Smoothing: an EMA (smoothing.ts) drawn over the raw line, which stays faint behind it.
 * - Models: train f and validation loss (dashed) together, accuracy in its own chart, the best
 *   validation iteration marked ◆ and an early stop marked with a dashed line.
 * - Drag selects an x range to zoom into; double-click returns to the whole run.
 */

export interface ChartSettings {
  x: XKind;
  logX: boolean;
  /** EMA weight in [0, 1): 0 is off. */
  smoothing: number;
  /** Plot f − f* (the objective's known minimum) instead of f. */
  gap: boolean;
}

type Metric = 'f' | 'valF' | 'gradNorm' | 'lr' | 'valAccuracy';

interface ChartDefinition {
  key: string;
  title: string;
  height: number;
  metrics: Metric[];
  /** Fixed range (accuracy). */
  range?: [number, number];
}

interface Line {
  run: Run;
  metric: Metric;
  smoothed: boolean;
  /** The raw line behind a smoothed one. */
  faint: boolean;
  bins: ColumnBins;
  ema: Ema | null;
  processed: number;
  data: (number | null)[];
  offset: number;
}

interface Chart {
  definition: ChartDefinition;
  lines: Line[];
  plot: uPlot;
  yRange: [number, number];
  distr: 1 | 3 | 4;
  wantedDistr: 1 | 3 | 4;
  /** The asinh axis's linear threshold. */
  linear: number;
  wantedLinear: number;
}

export interface ChartListeners {
  /** The cursor moved to x (null: it left the charts). */
  onCursor(x: number | null): void;
}

const SYNC_KEY = 'descent-runs';
/** The largest magnitude (and the inverse of the smallest) a log or asinh axis shows. */
const LOG_LIMIT = 1e30;
const METRIC_LABELS: Record<Metric, string> = {
  f: 'f',
  valF: 'validation loss',
  gradNorm: '‖g‖',
  lr: 'lr',
  valAccuracy: 'validation accuracy',
};

function isModel(runs: Run[]): boolean {
  return runs.some(
    (run) =>
      (run.job?.spec.objective as { type?: string } | undefined)?.type === 'model' ||
      run.series.hasValidation,
  );
}

/** The known minimum of a run's objective, for f − f* (builtins); 0 when unknown. */
export type KnownMinimum = (run: Run) => number | null;

export class ChartGroup {
  readonly element: HTMLElement;
  private readonly plots: HTMLElement;
  private readonly readout: HTMLElement;
  private charts: Chart[] = [];
  private runs: Run[] = [];
  private axis: ColumnAxis | null = null;
  private xs: number[] = [];
  private zoom: [number, number] | null = null;
  private programmaticCursor = false;
  private rebuildWanted = false;
  private readonly resizeObserver: ResizeObserver;
  private width = 0;

  constructor(
    private settings: ChartSettings,
    private readonly knownMinimum: KnownMinimum,
    private readonly listeners: ChartListeners,
  ) {
    this.plots = h('div', { class: 'chart-plots' });
    this.readout = h('div', { class: 'chart-readout', 'aria-live': 'off' });
    this.element = h('div', { class: 'charts' }, this.plots, this.readout);
    this.resizeObserver = new ResizeObserver(() => {
      const width = this.plots.clientWidth;
      if (width === this.width || width === 0) return;
      this.width = width;
      for (const chart of this.charts) chart.plot.setSize({ width, height: chart.definition.height });
      this.update();
    });
    this.resizeObserver.observe(this.plots);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    for (const chart of this.charts) chart.plot.destroy();
    this.charts = [];
  }

  setRuns(runs: Run[]): void {
    this.runs = runs;
    this.rebuild();
  }

  setSettings(settings: ChartSettings): void {
    this.settings = settings;
    this.zoom = null;
    this.rebuild();
  }

  /** Rebuilds every chart (runs, settings or a scale's distribution changed). */
  rebuild(): void {
    const distrs = new Map(
      this.charts.map((chart) => [
        chart.definition.key,
        { distr: chart.wantedDistr, linear: chart.wantedLinear },
      ]),
    );
    for (const chart of this.charts) chart.plot.destroy();
    this.charts = [];
    this.axis = null;
    this.rebuildWanted = false;
    replaceChildren(this.plots);
    if (this.runs.length === 0) return;
    this.width = this.plots.clientWidth || 600;
    const model = isModel(this.runs);
    const definitions: ChartDefinition[] = [
      {
        key: 'f',
        title: model ? 'loss (train solid, validation dashed)' : this.settings.gap ? 'f − f*' : 'f',
        height: 260,
        metrics: model ? ['f', 'valF'] : ['f'],
      },
      { key: 'gradNorm', title: '‖g‖', height: 120, metrics: ['gradNorm'] },
      { key: 'lr', title: 'lr', height: 120, metrics: ['lr'] },
    ];
    if (
      model &&
      this.runs.some((run) => run.series.hasAccuracy || run.job?.result?.validation?.accuracy != null)
    ) {
      definitions.splice(1, 0, {
        key: 'valAccuracy',
        title: 'validation accuracy',
        height: 150,
        metrics: ['valAccuracy'],
        range: [0, 1],
      });
    }
    for (const definition of definitions) {
      const previous = distrs.get(definition.key);
      const distr = definition.range ? 1 : (previous?.distr ?? 3);
      this.charts.push(this.createChart(definition, distr, previous?.linear ?? 1));
    }
    this.update();
  }

  private createLines(definition: ChartDefinition): Line[] {
    const lines: Line[] = [];
    const smoothing = this.settings.smoothing > 0 && definition.key === 'f';
    const axis = this.axis ?? { min: 0, max: 1, log: false, columns: 1 };
    for (const run of this.runs) {
      for (const metric of definition.metrics) {
        const variants = smoothing ? [false, true] : [false];
        for (const smoothed of variants) {
          lines.push({
            run,
            metric,
            smoothed,
            faint: smoothing && !smoothed,
            bins: new ColumnBins(axis),
            ema: null,
            processed: 0,
            data: [],
            offset: 0,
          });
        }
      }
    }
    return lines;
  }

  private createChart(definition: ChartDefinition, distr: 1 | 3 | 4, linear: number): Chart {
    const lines = this.createLines(definition);
    const muted = themeColor('--muted');
    const gridColor = themeColor('--grid');
    const chart: Chart = {
      definition,
      lines,
      plot: null as unknown as uPlot,
      yRange: [1, 10],
      distr,
      wantedDistr: distr,
      linear,
      wantedLinear: linear,
    };
    const axisFont = '11px system-ui, sans-serif';
    const options: uPlot.Options = {
      width: this.width,
      height: definition.height,
      legend: { show: false },
      scales: {
        x: {
          time: false,
          distr: this.settings.logX ? 3 : 1,
          log: 10,
          range: () => (this.axis ? [this.axis.min, this.axis.max] : [0, 1]),
        },
        y: {
          distr,
          log: 10,
          asinh: linear,
          range: () => chart.yRange,
        },
      },
      axes: [
        {
          stroke: muted,
          font: axisFont,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          label: definition.key === 'lr' ? X_LABELS[this.settings.x] : undefined,
          ...(this.settings.logX
            ? {
                splits: (_plot, _axis, min, max) => logTicks(min, max, 10),
                filter: (_plot, splits) => splits,
              }
            : {}),
          labelFont: axisFont,
          labelSize: 18,
          values: (_plot, splits) => splits.map((value) => (value === null ? '' : formatNumber(value, 3))),
        },
        {
          stroke: muted,
          font: axisFont,
          size: 58,
          ...(distr === 3
            ? {
                splits: (_plot, _axis, min, max) => logTicks(min, max, definition.height > 200 ? 8 : 4),
                filter: (_plot, splits) => splits,
              }
            : distr === 4
              ? {
                  splits: (_plot, _axis, min, max) =>
                    asinhTicks(min, max, linear, definition.height > 200 ? 8 : 4),
                  filter: (_plot, splits) => splits,
                }
              : {}),
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          values: (_plot, splits) => splits.map((value) => (value === null ? '' : formatNumber(value, 3))),
        },
      ],
      series: [
        {},
        ...lines.map((line) => {
          const color = runColorOf(line.run);
          return {
            label: `${line.run.label} ${METRIC_LABELS[line.metric]}${line.smoothed ? ' (smoothed)' : ''}`,
            stroke: line.faint ? withAlpha(color, 0.28) : color,
            width: line.faint ? 1 : line.metric === 'valF' ? 1.5 : 1.75,
            dash: line.metric === 'valF' ? [6, 4] : undefined,
            spanGaps: true,
            points: { show: false },
          } satisfies uPlot.Series;
        }),
      ],
      cursor: {
        sync: { key: SYNC_KEY },
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
      },
      hooks: {
        draw: [(plot) => this.drawMarkers(chart, plot)],
        setCursor: [(plot) => this.cursorMoved(plot)],
        setSelect: [(plot) => this.selected(plot)],
      },
    };
    const title = h('div', { class: 'chart-title' }, definition.title);
    const host = h('div', { class: `chart chart-${definition.key}` }, title);
    this.plots.appendChild(host);
    chart.plot = new uPlot(options, [[], ...lines.map(() => [])], host);
    chart.plot.over.addEventListener('dblclick', () => {
      this.zoom = null;
      this.axis = null;
      this.update();
    });
    return chart;
  }

  /** Where the x axis ends when the data reach `extent`: grows in nice steps, exact once all finished. */
  private axisFor(columns: number): ColumnAxis | null {
    const log = this.settings.logX;
    if (this.zoom !== null) return { min: this.zoom[0], max: this.zoom[1], log, columns };
    let high = 0;
    let lowPositive = Number.POSITIVE_INFINITY;
    for (const run of this.runs) {
      const { length } = run.series;
      if (length === 0) continue;
      const at = xAccessor(this.settings.x, run);
      high = Math.max(high, at(length - 1));
      for (let k = 0; k < Math.min(length, 3); k++) {
        const x = at(k);
        if (x > 0 && x < lowPositive) lowPositive = x;
      }
    }
    if (high <= 0) return null;
    const finished = this.runs.every(isFinished);
    const min = log ? (Number.isFinite(lowPositive) ? lowPositive : 1) : 0;
    const current = this.axis;
    const fits =
      current !== null &&
      current.columns === columns &&
      current.log === log &&
      current.max >= high &&
      current.min <= min &&
      (!finished || current.max === Math.max(high, min * 10));
    if (fits) return current;
    const max = finished ? Math.max(high, min * 10) : Math.max(niceCeil(high * 1.25), min * 10);
    return { min, max, log, columns };
  }

  private valueOf(line: Line): (k: number) => number {
    const columns = line.run.series.columns;
    const values = columns[line.metric];
    const offset = line.offset;
    return offset === 0 ? (k) => values[k] : (k) => values[k] - offset;
  }

  /** Per frame: bins the new points, rebuilds the data when the axis moved, and redraws. */
  update(): void {
    if (this.rebuildWanted) this.rebuild();
    if (this.charts.length === 0) return;
    const first = this.charts[0].plot;
    const columns = Math.max(16, Math.round(first.bbox.width / uPlot.pxRatio) || this.width - 70);
    const axis = this.axisFor(columns);
    if (axis === null) return;
    const axisChanged = axis !== this.axis;
    if (axisChanged) {
      this.axis = axis;
      this.xs = Array.from(columnXs(axis));
    }
    for (const chart of this.charts) {
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      let lowAll = Number.POSITIVE_INFINITY;
      let highAll = Number.NEGATIVE_INFINITY;
      let smallest = Number.POSITIVE_INFINITY;
      for (const line of chart.lines) {
        if (axisChanged) {
          line.bins.reset(axis);
          line.processed = 0;
          line.ema = null;
          line.data = new Array(2 * axis.columns).fill(null);
        }
        const metricIsF = line.metric === 'f' || line.metric === 'valF';
        line.offset = this.settings.gap && metricIsF ? (this.knownMinimum(line.run) ?? 0) : 0;
        if (line.smoothed && line.ema === null)
          line.ema = new Ema(this.settings.smoothing, chart.distr === 3);
        const { length } = line.run.series;
        if (line.processed < length) {
          const x = xAccessor(this.settings.x, line.run);
          const y = this.valueOf(line);
          const ema = line.ema;
          for (let k = line.processed; k < length; k++) {
            line.bins.add(x(k), ema === null ? y(k) : ema.next(y(k)));
          }
          line.processed = length;
        }
        const [lo, hi, magnitude] = line.bins.fill(line.data);
        if (lo < lowAll) lowAll = lo;
        if (hi > highAll) highAll = hi;
        if (magnitude < smallest) smallest = magnitude;
        if (!isDiverged(line.run)) {
          if (lo < low) low = lo;
          if (hi > high) high = hi;
        }
      }
      if (!Number.isFinite(low)) {
        low = lowAll;
        high = highAll;
      }
      this.setYRange(chart, low, high, smallest);
      chart.plot.setData([this.xs, ...chart.lines.map((line) => line.data)] as uPlot.AlignedData);
    }
    const moved = (chart: Chart) =>
      chart.wantedDistr !== chart.distr ||
      (chart.distr === 4 && Math.abs(Math.log10(chart.wantedLinear / chart.linear)) > 2);
    if (this.charts.some(moved)) this.rebuildWanted = true;
  }

  private setYRange(chart: Chart, low: number, high: number, smallest: number): void {
    if (chart.definition.range) {
      chart.yRange = chart.definition.range;
      return;
    }
    if (!Number.isFinite(low) || !Number.isFinite(high)) {
      chart.yRange = chart.distr === 3 ? [0.1, 10] : [-1, 1];
      return;
    }
    chart.wantedDistr = low > 0 ? 3 : 4;
    // uPlot's log ticks cover 1e-32 … 1e32 (beyond, its tick loop never ends): values past
    // ±1e30 or closer to 0 than 1e-30 are clipped to the plot's edge.
    low = Math.max(-LOG_LIMIT, low);
    high = Math.min(LOG_LIMIT, high);
    chart.wantedLinear = Number.isFinite(smallest)
      ? 10 ** Math.floor(Math.log10(Math.max(1 / LOG_LIMIT, smallest)))
      : 1;
    let range: uPlot.Range.MinMax;
    if (chart.distr === 3) {
      // Until the rebuild to asinh, a log axis shows the positive part only.
      const top = Math.max(high, 1 / LOG_LIMIT);
      range = uPlot.rangeLog(Math.max(low > 0 ? low : top * 1e-12, 1 / LOG_LIMIT), top, 10, true);
    } else if (chart.distr === 4) {
      range = uPlot.rangeAsinh(low, high, 10, true);
    } else {
      range = uPlot.rangeNum(low, high, 0.1, true);
    }
    let [min, max] = [range[0] ?? low, range[1] ?? high];
    if (chart.distr !== 1) [min, max] = [exactPowerOfTen(min), exactPowerOfTen(max)];
    // A constant series (an lr of exactly 1e-4) gets a decade on each side, or ±1 on a linear axis.
    chart.yRange = min < max ? [min, max] : chart.distr === 3 ? [min / 10, max * 10] : [min - 1, max + 1];
  }

  private cursorMoved(plot: uPlot): void {
    const left = plot.cursor.left ?? -1;
    const x = left < 0 ? null : plot.posToVal(left, 'x');
    this.showReadout(plot.cursor.idx ?? null, x);
    if (!this.programmaticCursor && plot === this.charts[0]?.plot) this.listeners.onCursor(x);
  }

  /** The values under the cursor, one per run (the f chart's unsmoothed lines). */
  private showReadout(index: number | null, x: number | null): void {
    const chart = this.charts[0];
    if (chart === undefined || index === null || x === null) {
      this.readout.textContent = '\u00a0';
      return;
    }
    const items = chart.lines
      .filter(
        (line) =>
          (line.metric === 'f' || line.metric === 'valF') && line.smoothed === this.settings.smoothing > 0,
      )
      .map((line) => {
        const value = line.data[index] ?? line.data[index ^ 1] ?? null;
        return h(
          'span',
          { class: 'readout-item' },
          h('span', { class: 'swatch', style: `background:${runColorOf(line.run)}` }),
          `${line.run.label}${line.metric === 'valF' ? ' (val)' : ''} `,
          h('b', {}, formatNumber(value === null ? null : value + line.offset)),
        );
      });
    replaceChildren(
      this.readout,
      h('span', { class: 'muted' }, `${X_LABELS[this.settings.x]} ≈ ${formatNumber(x)}`),
      ...items,
    );
  }

  private selected(plot: uPlot): void {
    const { left, width } = plot.select;
    if (width < 3) return;
    const min = plot.posToVal(left, 'x');
    const max = plot.posToVal(left + width, 'x');
    plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (max > min) {
      this.zoom = [min, max];
      this.update();
    }
  }

  /** Moves every chart's cursor to x (the replay scrubber). */
  setCursorX(x: number | null): void {
    const plot = this.charts[0]?.plot;
    if (plot === undefined) return;
    this.programmaticCursor = true;
    try {
      if (x === null) plot.setCursor({ left: -10, top: -10 });
      else plot.setCursor({ left: plot.valToPos(x, 'x'), top: plot.bbox.height / uPlot.pxRatio / 2 });
    } finally {
      this.programmaticCursor = false;
    }
  }

  private drawMarkers(chart: Chart, plot: uPlot): void {
    const context = plot.ctx;
    const ratio = uPlot.pxRatio;
    const { left, top, width, height } = plot.bbox;
    const clampY = (y: number) => Math.min(top + height - 4 * ratio, Math.max(top + 4 * ratio, y));
    context.save();
    context.font = `${11 * ratio}px system-ui, sans-serif`;
    context.textAlign = 'left';
    context.textBaseline = 'alphabetic';
    for (const line of chart.lines) {
      if (line.smoothed !== (this.settings.smoothing > 0 && chart.definition.key === 'f')) continue;
      const run = line.run;
      const { length } = run.series;
      if (length === 0) continue;
      const color = runColorOf(run);
      const xOf = xAccessor(this.settings.x, run);
      const value = this.valueOf(line);
      if (isDiverged(run) && chart.definition.key === 'f' && line.metric === 'f') {
        const k = length - 1;
        const px = plot.valToPos(xOf(k), 'x', true);
        const rawY = plot.valToPos(value(k), 'y', true);
        const py = Number.isFinite(rawY) ? clampY(rawY) : top + 4 * ratio;
        if (px >= left && px <= left + width) {
          drawCross(context, px, py, 5 * ratio, color);
          context.fillStyle = color;
          context.fillText('diverged', px + 7 * ratio, py + 4 * ratio);
        }
      }
      const validation = run.job?.result?.validation;
      if (validation && line.metric === 'valF') {
        const k = run.series.indexAtIteration(validation.bestIteration);
        if (k >= 0) {
          const px = plot.valToPos(xOf(k), 'x', true);
          const py = clampY(plot.valToPos(value(k), 'y', true));
          drawDiamond(context, px, py, 5.5 * ratio, color, themeColor('--surface'));
          context.fillStyle = color;
          context.fillText('best val', px + 7 * ratio, py - 6 * ratio);
        }
      }
      if (run.job?.result?.stopReason === 'early_stopped' && line.metric === chart.definition.metrics[0]) {
        const px = plot.valToPos(xOf(length - 1), 'x', true);
        context.strokeStyle = color;
        context.setLineDash([4 * ratio, 3 * ratio]);
        context.lineWidth = ratio;
        context.beginPath();
        context.moveTo(px, top);
        context.lineTo(px, top + height);
        context.stroke();
        context.setLineDash([]);
        if (chart.definition.key === 'f') {
          context.fillStyle = color;
          context.fillText('early stop', px - 62 * ratio, top + 12 * ratio);
        }
      }
    }
    context.restore();
  }
}

/**
 * ±10^k as the literal `1ek` parses: uPlot's log ticks step through such exact values, and an end
 * of 10 ** -24 (1.0000000000000001e-24, as its own rangeLog returns) never meets them, so its tick
 * loop runs forever. Values that are not near a power of ten pass through.
 */
export function exactPowerOfTen(value: number, round: (x: number) => number = Math.round): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const exponent = Math.log10(Math.abs(value));
  const k = round(exponent);
  if (round === Math.round && Math.abs(exponent - k) > 1e-9) return value;
  return Math.sign(value) * Number(`1e${k}`);
}
