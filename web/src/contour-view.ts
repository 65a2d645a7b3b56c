import type { ObjectiveInput } from './api-types.ts';
import { drawCross, drawDot, drawStar } from './canvas-marks.ts';
import { type Band, type Box, contourBands, fetchGrid, type Grid, gridValueAt } from './contour.ts';
import { h, replaceChildren } from './dom.ts';
import { formatNumber } from './format.ts';
import { parseColor, themeColor } from './palette.ts';
import { isDiverged, type Run, runColorOf } from './runs.ts';

/**
 * The contour view of a 2-D objective: three stacked canvases with the box's aspect (one unit of
 * x is as long as one unit of y), so a path's angles are true.
 * - background: the contour bands and lines (redrawn on resize and theme change);
 * - paths: each run's path in its colour, drawn incrementally as points arrive (only the new
 *   segments each frame) and in full when the replay position or the size changes, skipping
 *   steps shorter than a pixel;
 * - marks: the known minima (★), the start point (◯) and each run's current point, every frame.
 * The paths canvas carries `data-transform` (JSON {x0, y1, sx, sy}: device pixel = ((x − x0)·sx,
 * (y1 − y)·sy)), so a test can find a point's pixel.
 */

export interface ContourOptions {
  /** Clicking sets the start point (the start form); absent in run views. */
  onPick?(point: [number, number]): void;
}

interface Transform {
  x0: number;
  y1: number;
  sx: number;
  sy: number;
}

/** Steps shorter than this (device pixels) are merged into the next. */
const MIN_STEP_PX = 0.75;
/** Runs with fewer points get a dot at each one, so single steps can be counted. */
const DOTS_BELOW = 120;

export class ContourView {
  readonly element: HTMLElement;
  private readonly stack: HTMLElement;
  private readonly background: HTMLCanvasElement;
  private readonly paths: HTMLCanvasElement;
  private readonly marks: HTMLCanvasElement;
  private readonly overlay: HTMLElement;
  private readonly readout: HTMLElement;
  private box: Box | null = null;
  private grid: Grid | null = null;
  private bands: Band[] = [];
  private minimizers: number[][] = [];
  private start: [number, number] | null = null;
  private runs: Run[] = [];
  /** Draw up to this iteration (the replay scrubber); null: everything (live). */
  private at: number | null = null;
  /** Per run: points already on the paths canvas (incremental drawing). */
  private drawn = new Map<Run, number>();
  private transform: Transform = { x0: 0, y1: 0, sx: 1, sy: 1 };
  private loadAbort: AbortController | null = null;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly options: ContourOptions = {}) {
    this.background = h('canvas', { class: 'contour-layer', 'aria-hidden': 'true' });
    this.paths = h('canvas', { class: 'contour-layer contour-paths', 'aria-hidden': 'true' });
    this.marks = h('canvas', {
      class: 'contour-layer contour-marks',
      role: 'img',
      'aria-label': 'Contour plot',
    });
    this.overlay = h('div', { class: 'contour-overlay' });
    this.stack = h('div', { class: 'contour-stack' }, this.background, this.paths, this.marks, this.overlay);
    this.readout = h('div', { class: 'contour-readout muted' }, '\u00a0');
    this.element = h('div', { class: 'contour' }, this.stack, this.readout);
    if (options.onPick) this.stack.classList.add('pickable');
    this.marks.addEventListener('click', (event) => {
      const point = this.pointAt(event);
      if (point && this.options.onPick) this.options.onPick(point);
    });
    this.marks.addEventListener('mousemove', (event) => this.showReadout(event));
    this.marks.addEventListener('mouseleave', () => {
      this.readout.textContent = '\u00a0';
    });
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(this.element);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.loadAbort?.abort();
  }

  /** Loads f over `box` and draws it; shows loading and error states meanwhile. */
  async setObjective(objective: ObjectiveInput, box: Box, minimizers: number[][] | null, seed?: number) {
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.box = box;
    this.minimizers = minimizers ?? [];
    this.layout();
    replaceChildren(this.overlay, h('span', { class: 'notice notice-loading' }, 'Computing the contours…'));
    this.overlay.hidden = false;
    try {
      const grid = await fetchGrid(objective, box, { seed, signal: abort.signal });
      if (abort.signal.aborted) return;
      this.grid = grid;
      this.bands = contourBands(grid);
      this.overlay.hidden = true;
      this.drawBackground();
      this.redrawPaths();
    } catch (error) {
      if (abort.signal.aborted) return;
      replaceChildren(
        this.overlay,
        h('span', { class: 'notice notice-error' }, `No contours: ${(error as Error).message}`),
      );
    }
  }

  setStart(start: [number, number] | null): void {
    this.start = start;
    this.drawMarks();
  }

  setRuns(runs: Run[]): void {
    this.runs = runs;
    this.redrawPaths();
  }

  /** The replay position: paths and current points up to this iteration (null: all). */
  setAt(iteration: number | null): void {
    if (iteration === this.at) return;
    this.at = iteration;
    this.redrawPaths();
  }

  /** Redraws the background for the current theme. */
  repaint(): void {
    this.drawBackground();
    this.redrawPaths();
  }

  /** Sizes the canvases to the box's aspect within the available width and height. */
  private layout(): void {
    if (this.box === null) return;
    const aspect = (this.box.y[1] - this.box.y[0]) / (this.box.x[1] - this.box.x[0]);
    const available = this.element.clientWidth;
    if (available === 0) return;
    const maxHeight = Math.max(240, Math.min(window.innerHeight * 0.72, 620));
    let width = available;
    let height = width * aspect;
    if (height > maxHeight) {
      height = maxHeight;
      width = height / aspect;
    }
    this.stack.style.width = `${width}px`;
    this.stack.style.height = `${height}px`;
    const ratio = window.devicePixelRatio || 1;
    const pixelWidth = Math.round(width * ratio);
    const pixelHeight = Math.round(height * ratio);
    if (this.background.width === pixelWidth && this.background.height === pixelHeight) return;
    for (const canvas of [this.background, this.paths, this.marks]) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    this.transform = {
      x0: this.box.x[0],
      y1: this.box.y[1],
      sx: pixelWidth / (this.box.x[1] - this.box.x[0]),
      sy: pixelHeight / (this.box.y[1] - this.box.y[0]),
    };
    this.paths.dataset.transform = JSON.stringify(this.transform);
    this.drawBackground();
    this.redrawPaths();
  }

  private pointAt(event: MouseEvent): [number, number] | null {
    if (this.box === null) return null;
    const rect = this.marks.getBoundingClientRect();
    const u = (event.clientX - rect.left) / rect.width;
    const v = (event.clientY - rect.top) / rect.height;
    const x = this.box.x[0] + u * (this.box.x[1] - this.box.x[0]);
    const y = this.box.y[1] - v * (this.box.y[1] - this.box.y[0]);
    // Three significant digits of the box's size are all a click can mean.
    const step = 10 ** (Math.floor(Math.log10(this.box.x[1] - this.box.x[0])) - 2);
    return [Math.round(x / step) * step, Math.round(y / step) * step].map((value) =>
      Number(value.toPrecision(6)),
    ) as [number, number];
  }

  private showReadout(event: MouseEvent): void {
    const point = this.pointAt(event);
    if (point === null) return;
    const f = this.grid ? gridValueAt(this.grid, point[0], point[1]) : Number.NaN;
    this.readout.textContent = `x = ${formatNumber(point[0])}, y = ${formatNumber(point[1])}, f ≈ ${formatNumber(f)}${
      this.options.onPick ? ' · click to start here' : ''
    }`;
  }

  private drawBackground(): void {
    const context = this.background.getContext('2d');
    if (context === null || this.grid === null) return;
    const { width, height } = this.background;
    const low = parseColor(themeColor('--contour-low'));
    const high = parseColor(themeColor('--contour-high'));
    const mix = (t: number) => {
      const c = low.map((value, k) => Math.round(value + (high[k] - value) * t));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    };
    context.save();
    context.fillStyle = mix(0);
    context.fillRect(0, 0, width, height);
    const grid = this.grid;
    // Grid coordinates: value k of a row sits at k + 0.5 (d3-contour), node k at x_lo + k·Δx.
    const scaleX = width / (grid.nx - 1);
    const scaleY = height / (grid.ny - 1);
    const toPixel = (u: number, v: number): [number, number] => [
      (u - 0.5) * scaleX,
      height - (v - 0.5) * scaleY,
    ];
    const trace = (band: Band) => {
      context.beginPath();
      for (const polygon of band.polygons) {
        for (const ring of polygon) {
          ring.forEach(([u, v], k) => {
            const [px, py] = toPixel(u, v);
            if (k === 0) context.moveTo(px, py);
            else context.lineTo(px, py);
          });
          context.closePath();
        }
      }
    };
    this.bands.forEach((band, k) => {
      trace(band);
      context.fillStyle = mix((k + 1) / this.bands.length);
      context.fill('evenodd');
    });
    context.lineWidth = Math.max(1, window.devicePixelRatio || 1) * 0.8;
    context.strokeStyle = themeColor('--contour-line');
    for (const band of this.bands) {
      trace(band);
      context.stroke();
    }
    context.restore();
  }

  private toPixel(x: number, y: number): [number, number] {
    const t = this.transform;
    return [(x - t.x0) * t.sx, (t.y1 - y) * t.sy];
  }

  /** The index of the last point to draw for a run (the replay position, or its last point). */
  private endIndex(run: Run): number {
    return this.at === null ? run.series.length - 1 : run.series.indexAtIteration(this.at);
  }

  /** Clears the paths and draws every run up to its end index. */
  redrawPaths(): void {
    const context = this.paths.getContext('2d');
    if (context === null) return;
    context.clearRect(0, 0, this.paths.width, this.paths.height);
    this.drawn.clear();
    this.drawPaths();
  }

  /** Draws what arrived since the last frame (the new segments only), then the marks. */
  drawPaths(): void {
    const context = this.paths.getContext('2d');
    if (context === null || this.box === null) return;
    const ratio = window.devicePixelRatio || 1;
    context.lineWidth = 2 * ratio;
    context.lineJoin = 'round';
    context.lineCap = 'round';
    for (const run of this.runs) {
      if (!run.series.hasX) continue;
      const end = this.endIndex(run);
      const from = Math.max(0, (this.drawn.get(run) ?? 0) - 1);
      if (end < 0 || end + 1 <= (this.drawn.get(run) ?? 0)) continue;
      const { x0, x1 } = run.series.columns;
      const color = runColorOf(run);
      context.strokeStyle = color;
      context.beginPath();
      let [lastX, lastY] = this.toPixel(x0[from], x1[from]);
      context.moveTo(lastX, lastY);
      let open = Number.isFinite(lastX) && Number.isFinite(lastY);
      for (let k = from + 1; k <= end; k++) {
        const [px, py] = this.toPixel(x0[k], x1[k]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) {
          open = false;
          continue;
        }
        if (!open) {
          context.moveTo(px, py);
          open = true;
        } else if (Math.abs(px - lastX) + Math.abs(py - lastY) < MIN_STEP_PX && k !== end) {
          continue;
        } else {
          context.lineTo(px, py);
        }
        lastX = px;
        lastY = py;
      }
      context.stroke();
      if (run.series.length < DOTS_BELOW) {
        for (let k = from; k <= end; k++) {
          const [px, py] = this.toPixel(x0[k], x1[k]);
          drawDot(context, px, py, 2.2 * ratio, color);
        }
      }
      this.drawn.set(run, end + 1);
    }
    this.drawMarks();
  }

  private drawMarks(): void {
    const context = this.marks.getContext('2d');
    if (context === null || this.box === null) return;
    const ratio = window.devicePixelRatio || 1;
    context.clearRect(0, 0, this.marks.width, this.marks.height);
    const ink = themeColor('--text');
    const paper = themeColor('--surface');
    for (const minimizer of this.minimizers) {
      const [px, py] = this.toPixel(minimizer[0], minimizer[1]);
      drawStar(context, px, py, 7 * ratio, ink, themeColor('--star'));
    }
    const start = this.start ?? this.firstPoint();
    if (start !== null) {
      const [px, py] = this.toPixel(start[0], start[1]);
      context.lineWidth = 2 * ratio;
      drawDot(context, px, py, 5.5 * ratio, paper, ink);
    }
    for (const run of this.runs) {
      const k = this.endIndex(run);
      if (k < 0 || !run.series.hasX) continue;
      const [px, py] = this.toPixel(run.series.columns.x0[k], run.series.columns.x1[k]);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const color = runColorOf(run);
      if (isDiverged(run) && this.at === null) {
        drawCross(context, px, py, 6 * ratio, color, paper);
        continue;
      }
      context.lineWidth = 1.5 * ratio;
      drawDot(context, px, py, 5 * ratio, color, paper);
    }
  }

  private firstPoint(): [number, number] | null {
    const run = this.runs.find((candidate) => candidate.series.hasX);
    return run ? [run.series.columns.x0[0], run.series.columns.x1[0]] : null;
  }
}
