// `northstar scan`: a first look at a local data file. Runs every applicable data-quality rule with
// default params on the app's own DuckDB-WASM (Node build) and prints what looks wrong, as proposals
// for the checks a dashboard could carry.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { scanDataset, type ScanResult } from '../../queries/checks/scan';
import { createSourceView, createTableAs, selectAll } from '../../queries/sql';
import { localPathArg, parseAsOf, parseOptions, withNodeEngine } from '../headless';
import { counted, printable, UsageError, type Command } from './command';

const VIEW = 'scan_source';
const TABLE = 'scan_data';

export const scanCommand: Command = {
  name: 'scan',
  synopsis: 'scan DATA [options] [--json]',
  summary: 'Look for data problems in a local Parquet or CSV file and propose checks.',
  details: [
    'Runs every rule that applies with default params: duplicate_key on the key, near_duplicate_values and',
    'unexpected_values on text columns, null_rate on every column, range on measures that are almost never',
    'negative, volume and total_jump per day (compared with the same weekday), freshness with --as-of.',
    'The time column and the key are inferred when not given (a DATE/TIMESTAMP column; a column named like',
    'an id with a distinct value on almost every row); the output says which were chosen.',
    '',
    '  --time COLUMN   the column that places rows in time.',
    '  --key COLUMN    the column that should be unique.',
    '  --as-of ISO     "now", to judge freshness (not judged without it).',
    '  --json          print { "data", "rows", "findings": [{ "rule", "column", "severity", "detail",',
    '                  "examples" }], "inferred": { "time", "key" }, "notes": [...] }.',
    '',
    'Exit 0 when no finding has severity error, 1 when one does, 2 when the file cannot be scanned or on',
    'usage errors.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseOptions(args, ['--time', '--key', '--as-of'], ['--json']);
    if (parsed.positionals.length !== 1) throw new UsageError('scan needs exactly one DATA file');
    const data = localPathArg('DATA', parsed.positionals[0] as string);
    const opts: { time?: string; key?: string; asOf?: number } = {};
    for (const [flag, value] of parsed.values) {
      if (flag === '--as-of') opts.asOf = parseAsOf(value);
      else if (value === '') throw new UsageError(`${flag} needs a column name`);
      else if (flag === '--time') opts.time = value;
      else opts.key = value;
    }
    let result: ScanResult;
    try {
      const file = path.resolve(data);
      const format = await formatOf(file);
      // Linked as a dashboard's source given with --source would be: a CSV is read from its bytes
      // (converted to UTF-8 first where it is not), not from disk in small reads.
      result = await withNodeEngine(
        async (engine, linkSource) => {
          const linked = await linkSource({ kind: 'file', name: VIEW, path: file, format });
          await engine.exec(createSourceView(VIEW, linked.urls, format));
          await engine.exec(createTableAs(TABLE, selectAll(VIEW)));
          return scanDataset(engine, TABLE, opts);
        },
        { dashboardDir: path.dirname(file), rebound: new Map([[VIEW, file]]) },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A source's own message names the file already ("… is a ZIP archive …"): once is enough.
      const named = message.startsWith(path.resolve(data));
      io.stderr(`northstar: ${named ? '' : `${printable(data)}: `}${printable(message)}\n`);
      return 2;
    }
    if (parsed.switches.has('--json')) {
      const { rows, findings, inferred, notes } = result;
      io.stdout(`${JSON.stringify({ data, rows, findings, inferred, notes }, null, 2)}\n`);
    } else io.stdout(formatText(data, result));
    return result.findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};

/** Parquet by its magic bytes, else CSV (DuckDB sniffs the dialect). */
async function formatOf(file: string): Promise<'parquet' | 'csv'> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message);
  }
  if (!info.isFile()) throw new Error('not a file');
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return head.toString('latin1') === 'PAR1' ? 'parquet' : 'csv';
  } finally {
    await handle.close();
  }
}

function formatText(data: string, result: ScanResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const lines = [
    `${printable(data)}: ${counted(result.rows, 'row')}; ${counted(result.findings.length, 'finding')} (${counted(errors, 'error')}, ${counted(result.findings.length - errors, 'warning')})`,
    ...result.notes.map((n) => `  note: ${printable(n)}`),
    ...result.findings.map((f) => `${f.severity === 'error' ? '✗' : '!'} ${f.rule}${f.column === null ? '' : ` ${printable(f.column)}`}: ${printable(f.detail)}`),
  ];
  return `${lines.join('\n')}\n`;
}
