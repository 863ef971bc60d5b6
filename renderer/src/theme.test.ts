import { describe, expect, it } from 'vitest';
import { chartOptionFor, resolveTheme } from './theme';

describe('theme', () => {
  it('follows the system unless the user chose', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('swaps light-only chart colours in dark, without touching the input or formatters', () => {
    const formatter = (v: number) => String(v);
    const option = { yAxis: [{ splitLine: { lineStyle: { color: '#ECEEF2' } }, axisLabel: { formatter } }], series: [{ data: [1, 2], color: '#3b6fd8' }] };
    const dark = chartOptionFor(option, 'dark');
    expect(dark.yAxis[0]?.splitLine.lineStyle.color).toBe('#2e3442');
    expect(dark.yAxis[0]?.axisLabel.formatter).toBe(formatter);
    expect(dark.series[0]).toEqual({ data: [1, 2], color: '#3b6fd8' });
    expect(option.yAxis[0]?.splitLine.lineStyle.color).toBe('#ECEEF2');
    expect(chartOptionFor(option, 'light')).toBe(option);
  });
});
