import uPlot from 'uplot';
import type { RankingRow } from './api-types.ts';
import { drawCross, drawDot } from './canvas-marks.ts';
import { exactPowerOfTen } from './charts.ts';
import { h } from './dom.ts';
import { formatNumber } from './format.ts';
import { asinhTicks, logTicks } from './log-ticks.ts';
import { themeColor } from './palette.ts';

/**
 * The U-curve of an lr sweep: best f against lr on log axes (asinh for f when a best f is <= 0),
 * the runs that finished without diverging joined by a line, the diverged ones drawn as ✕ at the
 * best f they reached before diverging. Too small an lr ends high on the left, too large diverges
 * on the right; the bottom of the U is the rate to use.
 */

export interface SweepPoint {
  lr: number;
  bestF: number;
  diverged: boolean;
  color: string;
}

export function sweepPoints(rows: RankingRow[], colorOf: (jobId: string) => string): SweepPoint[] {
  return rows
    .flatMap((row) =>
      row.param !== undefined && row.bestF !== null && Number.isFinite(row.bestF)
        ? [{ row, lr: row.param.value, bestF: row.bestF }]
        : [],
    )
    .map(({ row, lr, bestF }) => ({
      lr,
      bestF,
      diverged: row.stopReason === 'diverged',
      color: colorOf(row.jobId),
    }))
    .sort((a, b) => a.lr - b.lr);
}

export class SweepChart {
  readonly element: HTMLElement;
  private plot: uPlot | null = null;
  private points: SweepPoint[] = [];
  private readonly host: HTMLElement;
  private readonly resizeObserver: ResizeObserver;

  constructor() {
    this.host = h('div', { class: 'sweep-plot' });
    this.element = h(
      'section',
      { class: 'panel sweep' },
      h('h3', {}, 'Best f against lr'),
      h('p', { class: 'muted small' }, '● finished   ✕ diverged (at the best f it reached)'),
      this.host,
    );
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot && this.host.clientWidth > 0)
        this.plot.setSize({ width: this.host.clientWidth, height: 240 });
    });
    this.resizeObserver.observe(this.host);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
  }

  update(points: SweepPoint[]): void {
    this.points = points;
    const finite = points.filter((point) => !point.diverged);
    const distr = points.every((point) => point.bestF > 0) ? 3 : 4;
    if (this.plot === null || this.plot.scales.y.distr !== distr) this.create(distr);
    const xs = points.map((point) => point.lr);
    const ys = points.map((point) => (point.diverged ? null : point.bestF));
    this.element.dataset.points = String(points.length);
    this.element.dataset.diverged = String(points.length - finite.length);
    this.plot?.setData([xs, ys]);
  }

  private create(distr: 3 | 4): void {
    this.plot?.destroy();
    const muted = themeColor('--muted');
    const grid = themeColor('--grid');
    const font = '11px system-ui, sans-serif';
    const axis = {
      stroke: muted,
      font,
      labelFont: font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      values: (_plot: uPlot, splits: number[]) => splits.map((value) => formatNumber(value, 2)),
    };
    const range = (_plot: uPlot, low: number, high: number): uPlot.Range.MinMax => {
      const values = this.points.map((point) => point.bestF).filter(Number.isFinite);
      // uPlot's log ticks stop at 1e±32 (see charts.ts).
      const lo = Math.max(-1e30, Math.min(low, ...values));
      const hi = Math.min(1e30, Math.max(high, ...values));
      return distr === 3
        ? uPlot.rangeLog(Math.max(lo, 1e-30), hi, 10, true)
        : uPlot.rangeAsinh(lo, hi, 10, true);
    };
    this.plot = new uPlot(
      {
        width: this.host.clientWidth || 500,
        height: 240,
        legend: { show: false },
        scales: {
          x: {
            time: false,
            distr: 3,
            log: 10,
            range: (_plot, low, high) => {
              const range = uPlot.rangeLog(low / 1.5, high * 1.5, 10, false);
              return [exactPowerOfTen(range[0] ?? low), exactPowerOfTen(range[1] ?? high)];
            },
          },
          y: { distr, log: 10, asinh: 1, range },
        },
        axes: [
          {
            ...axis,
            label: 'lr',
            labelSize: 18,
            splits: (_plot, _axis, min, max) => logTicks(min, max),
            filter: (_plot, splits) => splits,
          },
          {
            ...axis,
            size: 58,
            splits: (_plot, _axis, min, max) =>
              distr === 3 ? logTicks(min, max, 6) : asinhTicks(min, max, 1, 6),
            filter: (_plot, splits) => splits,
          },
        ],
        series: [
          {},
          {
            label: 'best f',
            stroke: themeColor('--text'),
            width: 1.5,
            spanGaps: true,
            points: { show: false },
          },
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: { draw: [(plot) => this.drawMarkers(plot)] },
      },
      [[], []],
      this.host,
    );
  }

  private drawMarkers(plot: uPlot): void {
    const context = plot.ctx;
    const ratio = uPlot.pxRatio;
    const { top, height } = plot.bbox;
    context.save();
    for (const point of this.points) {
      const x = plot.valToPos(point.lr, 'x', true);
      const rawY = plot.valToPos(point.bestF, 'y', true);
      const y = Math.min(top + height - 6 * ratio, Math.max(top + 6 * ratio, rawY));
      if (point.diverged) drawCross(context, x, y, 5 * ratio, point.color);
      else drawDot(context, x, y, 4.5 * ratio, point.color);
    }
    context.restore();
  }
}
