// CSV as spreadsheets read it: RFC 4180 quoting, CRLF records, a UTF-8 BOM so Excel detects the
// encoding, and text that a spreadsheet would run as a formula defused with a leading `'`.
import type { ChartPanel, Dataset, KpiPanel } from '../../../dashboards/schema';
import type { QueryResult, Scalar } from '../../../queries/engine/engine';

/** Rows to write, with the engine's column types (Arrow type names such as `Timestamp<MICROSECOND>`). */
export interface CsvTable {
  columns: { name: string; type: string }[];
  rows: Record<string, Scalar>[];
}

/** The byte order mark Excel needs to read a CSV file as UTF-8. */
export const UTF8_BOM = '\uFEFF';

const NEEDS_QUOTES = /[",\r\n]/;
// OWASP "CSV injection": cells starting with these are run as formulas by Excel, LibreOffice, Sheets.
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMERIC_TYPE = /^(Float|Int|Uint|Decimal)/;
const NUMERIC_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** One field, quoted when it holds a quote, comma or line break (quotes doubled). */
export function quoteField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One value as CSV text (before quoting): null is empty, numbers are plain JS numbers, Timestamp
 * and Date values (epoch ms) are ISO wall-clock times, text that could start a formula gets a `'`.
 */
export function csvValue(value: Scalar, type: string): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (/^Timestamp/.test(type)) return isoDateTime(value);
    if (/^Date/.test(type)) return isoDateTime(value).slice(0, 10);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // A BIGINT beyond 2^53 arrives as text; it is still a number, not something to defuse.
  if (NUMERIC_TYPE.test(type) && NUMERIC_TEXT.test(value)) return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** `YYYY-MM-DD HH:MM:SS` (with `.mmm` only when there are milliseconds), time-zone free. */
export function isoDateTime(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return String(epochMs);
  const iso = new Date(epochMs).toISOString();
  const ms = iso.slice(19, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === '.000' ? '' : ms}`;
}

/** The whole file: BOM, a header of column names, one CRLF-terminated record per row. */
export function encodeCsv(table: CsvTable): string {
  const lines = [table.columns.map((c) => quoteField(csvValue(c.name, 'Utf8')))];
  for (const row of table.rows) {
    lines.push(table.columns.map((c) => quoteField(csvValue(row[c.name] ?? null, c.type))));
  }
  return `${UTF8_BOM}${lines.map((fields) => `${fields.join(',')}\r\n`).join('')}`;
}

/**
 * A chart's rows with readable headers: `x` becomes the time grain or the dimension's name and is
 * typed as a timestamp on a time axis (the engine returns it as a DOUBLE of epoch ms).
 */
export function chartCsvTable(panel: ChartPanel, dataset: Dataset, result: QueryResult): CsvTable {
  const axisName = (axis: ChartPanel['x']) => (axis.type === 'time' ? (dataset.timeColumn ?? axis.grain) : axis.dimension);
  const axisType = (axis: ChartPanel['x']) => (axis.type === 'time' ? 'Timestamp<MILLISECOND>' : undefined);
  const byX = renameColumn(result, 'x', axisName(panel.x), axisType(panel.x));
  // A heatmap's rows (y) read the same way.
  return panel.chart === 'heatmap' && panel.y ? renameColumn(byX, 'y', axisName(panel.y), axisType(panel.y)) : byX;
}

/** A KPI's rows: `period` (current, previous) and the value under the measure's name. */
export function kpiCsvTable(panel: KpiPanel, result: QueryResult): CsvTable {
  return renameColumn(result, 'value', panel.measure);
}

function renameColumn(result: QueryResult, from: string, to: string, type?: string): CsvTable {
  // Never let a rename shadow another column: keep the engine's name then.
  const name = result.columns.some((c) => c.name === to) ? from : to;
  return {
    columns: result.columns.map((c) => (c.name === from ? { name, type: type ?? c.type } : c)),
    rows: name === from ? result.rows : result.rows.map(({ [from]: moved = null, ...rest }) => ({ ...rest, [name]: moved })),
  };
}
