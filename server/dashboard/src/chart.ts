// Geometry of the migration progress chart: pure, so it is tested without a browser. The DOM code in app.ts
// turns it into SVG elements.

/** One day of cumulative counts (the API's ProgressPoint). */
export interface ProgressPoint {
  day: string;
  enrolled: number;
  demobilized: number;
  unbound: number;
  idpLoginWindow: number;
}

/** The series drawn, in legend order. */
export const SERIES = [
  { key: 'enrolled', label: 'Enrolled', color: '#8a94a8' },
  { key: 'demobilized', label: 'Demobilized', color: '#2f6fde' },
  { key: 'unbound', label: 'Unbound', color: '#c98a1b' },
  { key: 'idpLoginWindow', label: 'IdP login window', color: '#2d9a5b' },
] as const;

/** What to draw. */
export interface ChartGeometry {
  lines: Array<{ key: string; color: string; points: string }>;
  yTicks: Array<{ y: number; label: string }>;
  xLabels: Array<{ x: number; label: string }>;
}

/** Margins inside the viewBox for the axes' labels. */
const MARGIN = { left: 48, right: 16, top: 12, bottom: 28 };

/** Lay out `points` in a `width` x `height` viewBox. A single day is drawn as a flat segment across the chart. */
export function chartGeometry(points: readonly ProgressPoint[], width: number, height: number): ChartGeometry {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...points.map((point) => point.enrolled));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const xOf = (index: number): number =>
    points.length <= 1 ? (index === 0 ? MARGIN.left : MARGIN.left + plotWidth) : MARGIN.left + (index / (points.length - 1)) * plotWidth;
  const yOf = (value: number): number => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const drawn = points.length === 1 && points[0] !== undefined ? [points[0], points[0]] : points;
  const lines = SERIES.map((series) => ({
    key: series.key,
    color: series.color,
    points: drawn.map((point, index) => `${round(xOf(index))},${round(yOf(point[series.key]))}`).join(' '),
  }));
  const yTicks: ChartGeometry['yTicks'] = [];
  for (let value = 0; value <= top; value += step) yTicks.push({ y: round(yOf(value)), label: String(value) });
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  const xLabels = points
    .map((point, index) => ({ x: round(xOf(index)), label: point.day.slice(5) }))
    .filter((_, index) => index % labelEvery === 0 || index === points.length - 1);
  return { lines, yTicks, xLabels };
}

/** A step of 1, 2 or 5 times a power of ten giving about four ticks. */
function niceStep(max: number): number {
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  const multiple = [1, 2, 5, 10].find((candidate) => candidate * power >= rough) ?? 10;
  return Math.max(1, multiple * power);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
