import { describe, expect, it } from 'vitest';
import { chartGeometry } from '../../server/dashboard/src/chart.js';

const point = (day: string, enrolled: number, demobilized = 0) => ({ day, enrolled, demobilized, unbound: 0, idpLoginWindow: 0 });

describe('progress chart geometry', () => {
  it('scales series into the plot area with the top tick at or above the maximum', () => {
    const geometry = chartGeometry([point('2026-11-01', 10, 0), point('2026-11-02', 40, 20)], 800, 240);
    const enrolled = geometry.lines.find((line) => line.key === 'enrolled');
    expect(enrolled?.points).toBe('48,162 784,12');
    expect(geometry.yTicks.at(-1)?.label).toBe('40');
    expect(geometry.xLabels.map((label) => label.label)).toEqual(['11-01', '11-02']);
  });

  it('draws a single day as a flat line across the chart', () => {
    const geometry = chartGeometry([point('2026-11-01', 3, 1)], 800, 240);
    expect(geometry.lines.find((line) => line.key === 'demobilized')?.points.split(' ')).toHaveLength(2);
  });

  it('draws an empty fleet without dividing by zero', () => {
    const geometry = chartGeometry([], 800, 240);
    expect(geometry.lines.every((line) => line.points === '')).toBe(true);
    expect(geometry.yTicks.map((tick) => tick.label)).toEqual(['0', '1']);
  });
});
