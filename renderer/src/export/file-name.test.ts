import { describe, expect, it } from 'vitest';
import { exportFileName, fileStem } from './file-name';

describe('export file names', () => {
  it('turns a title into a lower-case, dash-separated name', () => {
    expect(exportFileName({ id: 'revenue_by_campaign', title: 'Revenue by campaign' }, 'png')).toBe('revenue-by-campaign.png');
    expect(exportFileName({ id: 'x', title: '  Q3 / Q4: revenue (net)!  ' }, 'csv')).toBe('q3-q4-revenue-net.csv');
  });

  it('drops path separators, dots and control characters', () => {
    expect(fileStem('../../etc/passwd')).toBe('etc-passwd');
    expect(fileStem('C:\\Windows\\system32')).toBe('c-windows-system32');
    expect(fileStem('a\u0000b\nc\td')).toBe('a-b-c-d');
    expect(fileStem('name.csv.exe')).toBe('name-csv-exe');
  });

  it('keeps letters of any script, without accents', () => {
    expect(fileStem('Umsätze Café')).toBe('umsatze-cafe');
    expect(fileStem('売上 東京')).toBe('売上-東京');
  });

  it('avoids names Windows reserves', () => {
    expect(fileStem('CON')).toBe('con-panel');
    expect(fileStem('lpt1')).toBe('lpt1-panel');
    expect(fileStem('console')).toBe('console');
  });

  it('caps the length without a trailing dash', () => {
    const stem = fileStem(`${'a'.repeat(79)} b`);
    expect(stem).toBe('a'.repeat(79));
    expect(fileStem('word '.repeat(40)).length).toBeLessThanOrEqual(80);
  });

  it('falls back to the panel id, then to "panel"', () => {
    expect(exportFileName({ id: 'recent_orders', title: '' }, 'csv')).toBe('recent-orders.csv');
    expect(exportFileName({ id: 'recent_orders', title: '!!! ///' }, 'svg')).toBe('recent-orders.svg');
    expect(exportFileName({ id: '_', title: '🚀' }, 'png')).toBe('panel.png');
  });
});
