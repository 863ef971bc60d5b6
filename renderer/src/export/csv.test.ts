import { describe, expect, it } from 'vitest';
// Fixtures go through the schema, so defaults of fields added later fill in.
import { ChartPanel, Dataset, KpiPanel } from '../../../dashboards/schema';
import { chartCsvTable, csvValue, encodeCsv, isoDateTime, kpiCsvTable, quoteField, UTF8_BOM } from './csv';

const records = (csv: string) => csv.slice(UTF8_BOM.length).split('\r\n');

describe('quoteField (RFC 4180)', () => {
  it('leaves plain text alone and quotes quotes, commas and line breaks', () => {
    expect(quoteField('plain text')).toBe('plain text');
    expect(quoteField('a,b')).toBe('"a,b"');
    expect(quoteField('say "hi"')).toBe('"say ""hi"""');
    expect(quoteField('two\nlines')).toBe('"two\nlines"');
    expect(quoteField('cr\rlf')).toBe('"cr\rlf"');
    expect(quoteField('')).toBe('');
  });
});

describe('csvValue', () => {
  it('writes null as empty and numbers as plain JS numbers', () => {
    expect(csvValue(null, 'Utf8')).toBe('');
    expect(csvValue(null, 'Float64')).toBe('');
    expect(csvValue(1234567.5, 'Float64')).toBe('1234567.5');
    expect(csvValue(-42, 'Int32')).toBe('-42');
    expect(csvValue(0.1 + 0.2, 'Float64')).toBe('0.30000000000000004');
    expect(csvValue(true, 'Bool')).toBe('true');
  });

  it('writes Timestamp and Date values (epoch ms) as ISO wall-clock text', () => {
    const t = Date.UTC(2025, 0, 3, 9, 5, 7);
    expect(csvValue(t, 'Timestamp<MICROSECOND>')).toBe('2025-01-03 09:05:07');
    expect(csvValue(t + 250, 'Timestamp<MILLISECOND>')).toBe('2025-01-03 09:05:07.250');
    expect(csvValue(Date.UTC(2025, 0, 3), 'Date<DAY>')).toBe('2025-01-03');
    expect(csvValue(Date.UTC(1969, 11, 31, 23, 59, 59), 'Timestamp<SECOND>')).toBe('1969-12-31 23:59:59');
    expect(isoDateTime(Number.NaN)).toBe('NaN');
  });

  it('defuses text that a spreadsheet would run as a formula, but never numbers', () => {
    expect(csvValue('=HYPERLINK("http://x","y")', 'Utf8')).toBe(`'=HYPERLINK("http://x","y")`);
    expect(csvValue('+1+1', 'Utf8')).toBe("'+1+1");
    expect(csvValue('-2+3', 'Utf8')).toBe("'-2+3");
    expect(csvValue('@SUM(A1)', 'Utf8')).toBe("'@SUM(A1)");
    expect(csvValue('\tcmd', 'Utf8')).toBe("'\tcmd");
    expect(csvValue('\rcmd', 'Utf8')).toBe("'\rcmd");
    expect(csvValue('a=b', 'Utf8')).toBe('a=b');
    expect(csvValue(-5, 'Float64')).toBe('-5');
    // A BIGINT too big for a JS number arrives as text, and is still a number.
    expect(csvValue('-9223372036854775808', 'Int64')).toBe('-9223372036854775808');
    expect(csvValue('-1', 'Utf8')).toBe("'-1");
  });
});

describe('encodeCsv', () => {
  const table = {
    columns: [
      { name: 'when', type: 'Timestamp<MICROSECOND>' },
      { name: 'city, "quoted"', type: 'Utf8' },
      { name: 'amount', type: 'Float64' },
    ],
    rows: [
      { when: Date.UTC(2025, 0, 3, 9), 'city, "quoted"': 'Zürich 東京 🚀', amount: 12.5 },
      { when: null, 'city, "quoted"': 'two\r\nlines, "quoted"', amount: null },
      { when: Date.UTC(2025, 0, 4), 'city, "quoted"': '=1+2', amount: -3 },
    ],
  };

  it('starts with a BOM, then a header of column names, one CRLF record per row', () => {
    const csv = encodeCsv(table);
    expect(csv.startsWith('\uFEFFwhen,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toBe(
      '\uFEFF' +
        'when,"city, ""quoted""",amount\r\n' +
        '2025-01-03 09:00:00,Zürich 東京 🚀,12.5\r\n' +
        ',"two\r\nlines, ""quoted""",\r\n' +
        "2025-01-04 00:00:00,'=1+2,-3\r\n",
    );
  });

  it('is UTF-8 with the BOM bytes EF BB BF once encoded', async () => {
    const bytes = new Uint8Array(await new Blob([encodeCsv(table)]).arrayBuffer());
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain('Zürich 東京 🚀');
  });

  it('writes only a header for no rows', () => {
    expect(encodeCsv({ columns: [{ name: 'a', type: 'Utf8' }], rows: [] })).toBe('\uFEFFa\r\n');
  });

  it('defuses a header name that starts like a formula', () => {
    expect(records(encodeCsv({ columns: [{ name: '=cmd', type: 'Utf8' }], rows: [] }))[0]).toBe("'=cmd");
  });
});

const dataset = Dataset.parse({
  name: 'orders',
  kind: 'table',
  source: 'orders',
  timeColumn: 'order_ts',
  measures: [{ name: 'revenue', agg: 'sum', column: 'amount', format: 'currency' }],
  dimensions: [{ name: 'campaign', column: 'campaign' }],
});
const base = { dataset: 'orders', measures: ['revenue'], sort: 'label', limit: 20 };

describe('chart and KPI tables', () => {
  it('names a time chart’s x after the time column and writes it as a timestamp', () => {
    const panel = ChartPanel.parse({ ...base, id: 'daily', title: 'Daily', kind: 'chart', chart: 'line', x: { type: 'time', grain: 'day' } });
    const result = { columns: [{ name: 'x', type: 'Float64' }, { name: 'revenue', type: 'Float64' }], rows: [{ x: Date.UTC(2025, 0, 3), revenue: 10 }] };
    expect(records(encodeCsv(chartCsvTable(panel, dataset, result))).slice(0, 2)).toEqual(['order_ts,revenue', '2025-01-03 00:00:00,10']);
  });

  it('names a dimension chart’s x after the dimension and keeps members as text', () => {
    const panel = ChartPanel.parse({ ...base, id: 'by', title: 'By', kind: 'chart', chart: 'bar', x: { type: 'dimension', dimension: 'campaign' } });
    const result = { columns: [{ name: 'x', type: 'Utf8' }, { name: 'revenue', type: 'Float64' }], rows: [{ x: '-Promo', revenue: 1 }, { x: null, revenue: 2 }] };
    expect(records(encodeCsv(chartCsvTable(panel, dataset, result))).slice(0, 3)).toEqual(['campaign,revenue', "'-Promo,1", ',2']);
  });

  it('names a heatmap’s x and y after what they show', () => {
    const panel = ChartPanel.parse({ ...base, id: 'heat', title: 'Heat', kind: 'chart', chart: 'heatmap', x: { type: 'dimension', dimension: 'campaign' }, y: { type: 'time', grain: 'year' } });
    const result = {
      columns: [{ name: 'x', type: 'Utf8' }, { name: 'y', type: 'Float64' }, { name: 'revenue', type: 'Float64' }, { name: 'x_rank', type: 'Int32' }, { name: 'y_rank', type: 'Int32' }],
      rows: [{ x: 'Promo', y: Date.UTC(2025, 0, 1), revenue: 5, x_rank: 1, y_rank: 1 }],
    };
    expect(records(encodeCsv(chartCsvTable(panel, dataset, result))).slice(0, 2)).toEqual(['campaign,order_ts,revenue,x_rank,y_rank', 'Promo,2025-01-01 00:00:00,5,1,1']);
  });

  it('never renames onto an existing column', () => {
    const panel = ChartPanel.parse({ ...base, id: 'by', title: 'By', kind: 'chart', chart: 'bar', measures: ['campaign'], x: { type: 'dimension', dimension: 'campaign' } });
    const result = { columns: [{ name: 'x', type: 'Utf8' }, { name: 'campaign', type: 'Float64' }], rows: [{ x: 'a', campaign: 1 }] };
    expect(chartCsvTable(panel, dataset, result).columns.map((c) => c.name)).toEqual(['x', 'campaign']);
  });

  it('writes a KPI as period and the measure', () => {
    const panel = KpiPanel.parse({ id: 'k', title: 'Revenue', kind: 'kpi', dataset: 'orders', measure: 'revenue' });
    const result = { columns: [{ name: 'period', type: 'Utf8' }, { name: 'value', type: 'Float64' }], rows: [{ period: 'current', value: 1500.25 }, { period: 'previous', value: null }] };
    expect(records(encodeCsv(kpiCsvTable(panel, result)))).toEqual(['period,revenue', 'current,1500.25', 'previous,', '']);
  });
});
