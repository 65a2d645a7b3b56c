/**
 * Draws at most once per animation frame: data arrives as often as the stream delivers it, each
 * arrival only marks the view dirty, and one requestAnimationFrame callback draws what came in
 * since the last frame. Each frame's drawing is measured with `performance.measure('descent:frame')`
 * (what bench/dashboard.ts reads); measures are cleared past a bound so a long session does not
 * accumulate them.
 */

export const FRAME_MEASURE = 'descent:frame';
const MAX_MEASURES = 2000;

export class FrameLoop {
  private pending = 0;
  private measured = 0;

  constructor(private readonly draw: () => void) {}

  request(): void {
    if (this.pending !== 0) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      const start = performance.now();
      try {
        this.draw();
      } finally {
        performance.measure(FRAME_MEASURE, { start, end: performance.now() });
        if (++this.measured >= MAX_MEASURES) {
          performance.clearMeasures(FRAME_MEASURE);
          this.measured = 0;
        }
      }
    });
  }

  cancel(): void {
    if (this.pending !== 0) cancelAnimationFrame(this.pending);
    this.pending = 0;
  }
}
