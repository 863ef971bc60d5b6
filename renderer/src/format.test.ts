import { describe, expect, it } from 'vitest';
import { cellTone, formatAxisAs, formatBytes, formatBytesApart, formatChange, formatValue, isoDay, thresholdTone } from './format';

describe('isoDay', () => {
  it('agrees with Date#toISOString across centuries, leap days and before 1970', () => {
    for (let ms = Date.UTC(1600, 0, 1); ms < Date.UTC(2401, 0, 1); ms += 86_400_000 * 97 + 3_600_000) {
      expect(isoDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }
    expect(isoDay(Date.UTC(2024, 1, 29, 23, 59))).toBe('2024-02-29');
    expect(isoDay(-1)).toBe('1969-12-31');
  });
});

describe('KPI changes', () => {
  it('never shows NaN or Infinity: "new" from zero, "±0%" from zero to zero, "–" without a comparison', () => {
    expect(formatChange(5, 0)).toEqual({ text: 'new', ratio: null, direction: 'up' });
    expect(formatChange(-5, 0)).toEqual({ text: 'new', ratio: null, direction: 'down' });
    expect(formatChange(0, 0)).toEqual({ text: '±0%', ratio: 0, direction: 'flat' });
    expect(formatChange(0, 10)).toEqual({ text: '−100%', ratio: -1, direction: 'down' });
    expect(formatChange(-5, -10)).toEqual({ text: '+50%', ratio: 0.5, direction: 'up' });
    expect(formatChange(null, 10).text).toBe('–');
    expect(formatChange(5, null).text).toBe('–');
    expect(formatChange(Number.POSITIVE_INFINITY, 1).text).toBe('–');
  });
});

describe('value formats', () => {
  it('applies the format override and fixed decimals', () => {
    expect(formatValue(1234.5, 'currency')).toBe('$1,234.50');
    expect(formatValue(1234.5, 'currency', { decimals: 0 })).toBe('$1,235');
    expect(formatValue(123456, 'currency', { decimals: 1 })).toBe('$123.5K');
    expect(formatValue(123456, 'currency', { decimals: 1, compact: false })).toBe('$123,456.0');
    expect(formatValue(0.1234, 'percent', { decimals: 2 })).toBe('12.34%');
    expect(formatValue(1234.567, 'number', { decimals: 3 })).toBe('1,234.567');
    expect(formatValue(1234.567, 'integer', { decimals: 3 })).toBe('1,235');
    expect(formatValue(1234, 'compact')).toBe('1.23K');
    expect(formatValue(-0, 'number')).toBe('0');
    expect(formatValue(null, 'number')).toBe('–');
    expect(formatValue(Number.NaN, 'number')).toBe('–');
  });

  it('formats axis ticks by the panel override', () => {
    expect(formatAxisAs(12000, 'auto', 'currency')).toBe('$12K');
    expect(formatAxisAs(12000, 'number', 'currency')).toBe('12,000');
    expect(formatAxisAs(12000, 'compact', 'number')).toBe('12K');
    expect(formatAxisAs(0.25, 'percent', 'number')).toBe('25%');
    expect(formatAxisAs(-0, 'number', 'number')).toBe('0');
  });
});

describe('thresholds and table rules', () => {
  it('colours a KPI once it reaches a threshold in the bad direction', () => {
    const t = { warnAt: 100, badAt: 50 };
    expect(thresholdTone(120, t, 'up')).toBeNull();
    expect(thresholdTone(100, t, 'up')).toBe('warn');
    expect(thresholdTone(50, t, 'up')).toBe('bad');
    const down = { warnAt: 0.05, badAt: 0.1 };
    expect(thresholdTone(0.02, down, 'down')).toBeNull();
    expect(thresholdTone(0.07, down, 'down')).toBe('warn');
    expect(thresholdTone(0.2, down, 'down')).toBe('bad');
    expect(thresholdTone(null, t, 'up')).toBeNull();
    expect(thresholdTone(1, undefined, 'up')).toBeNull();
  });

  it('matches cell rules by number or text, the most severe tone winning', () => {
    const rules = [
      { op: 'lt', value: 0, tone: 'bad' },
      { op: 'gte', value: 1000, tone: 'good' },
      { op: 'lt', value: '10', tone: 'warn' },
    ] as const;
    expect(cellTone(-5, rules)).toBe('bad');
    expect(cellTone(5, rules)).toBe('warn');
    expect(cellTone(2000, rules)).toBe('good');
    expect(cellTone(null, rules)).toBeNull();
    expect(cellTone('EMEA', [{ op: 'eq', value: 'EMEA', tone: 'good' }])).toBe('good');
    expect(cellTone('EMEA', [{ op: 'neq', value: 'EMEA', tone: 'good' }])).toBeNull();
  });
});

describe('formatBytesApart', () => {
  it('writes two different sizes differently, with as few digits as that takes', () => {
    const GiB = 1024 ** 3;
    expect(formatBytesApart(2.5 * GiB, 2 * GiB)).toEqual(['2.5 GB', '2.0 GB']);
    // 2.016 GiB against the 2 GiB budget: "2.0 GB, above the 2.0 GB budget" would say nothing.
    expect(formatBytesApart(2_165_000_000, 2 * GiB)).toEqual(['2.02 GB', '2.00 GB']);
    expect(formatBytesApart(2 * GiB + 1024, 2 * GiB)).toEqual(['2.000 GB', '2.000 GB']);
    expect(formatBytesApart(13.6 * 1024 ** 2, 1024 ** 2)).toEqual(['13.6 MB', '1.0 MB']);
    expect(formatBytes(1536, 2)).toBe('1.50 KB');
  });
});
