/** The marks drawn on canvases: ✕ (diverged), ◆ (best validation), ★ (known minimum), ● (a point). */

/** ✕ centred at (x, y), half-width `size`, over an optional halo that keeps it readable on lines. */
export function drawCross(
  context: CanvasRenderingContext2D,
  x: number,
  y: number,
  size: number,
  color: string,
  halo?: string,
): void {
  context.lineCap = 'round';
  const passes: [number, string][] = halo === undefined ? [] : [[size * 0.7, halo]];
  passes.push([size * 0.45, color]);
  for (const [width, style] of passes) {
    context.lineWidth = width;
    context.strokeStyle = style;
    context.beginPath();
    context.moveTo(x - size, y - size);
    context.lineTo(x + size, y + size);
    context.moveTo(x + size, y - size);
    context.lineTo(x - size, y + size);
    context.stroke();
  }
}

export function drawDiamond(
  context: CanvasRenderingContext2D,
  x: number,
  y: number,
  size: number,
  color: string,
  stroke: string,
): void {
  context.beginPath();
  context.moveTo(x, y - size);
  context.lineTo(x + size, y);
  context.lineTo(x, y + size);
  context.lineTo(x - size, y);
  context.closePath();
  context.fillStyle = color;
  context.fill();
  context.lineWidth = 1.5;
  context.strokeStyle = stroke;
  context.stroke();
}

export function drawStar(
  context: CanvasRenderingContext2D,
  x: number,
  y: number,
  radius: number,
  stroke: string,
  fill: string,
): void {
  context.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? radius : radius * 0.45;
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    context.lineTo(x + r * Math.cos(angle), y + r * Math.sin(angle));
  }
  context.closePath();
  context.fillStyle = fill;
  context.fill();
  context.lineWidth = radius / 6;
  context.strokeStyle = stroke;
  context.stroke();
}

/** A filled disc, with an outline when `stroke` is given (drawn with `lineWidth` as set). */
export function drawDot(
  context: CanvasRenderingContext2D,
  x: number,
  y: number,
  radius: number,
  fill: string,
  stroke?: string,
): void {
  context.fillStyle = fill;
  context.beginPath();
  context.arc(x, y, radius, 0, 2 * Math.PI);
  context.fill();
  if (stroke !== undefined) {
    context.strokeStyle = stroke;
    context.stroke();
  }
}
