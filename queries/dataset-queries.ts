// SQL for authoring datasets: the SQL editor's preview and column list, and reading DuckDB's error
// messages back onto the author's text. The author's SQL is wrapped by `userSelect` (one query,
// no second statement), so positions DuckDB reports are in the wrapped text and are mapped back.
import { Sql, int, userSelect } from './sql';

/** A column as DuckDB describes it. */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** Rows shown under the SQL editor. */
export const PREVIEW_ROWS = 100;

/** The first rows of the author's SQL: `SELECT * FROM (<sql>) LIMIT n`. */
export function sqlPreviewQuery(userSql: string, limit = PREVIEW_ROWS): Sql {
  return Sql.concat(userSelect(userSql), ' LIMIT ', int(limit, 1, 10_000));
}

/** The columns (name and DuckDB type) the author's SQL returns, without running it. */
export function sqlDescribeQuery(userSql: string): Sql {
  return Sql.concat('DESCRIBE ', userSelect(userSql));
}

/** `DESCRIBE` rows as columns. */
export function describedColumns(rows: readonly Record<string, unknown>[]): ColumnInfo[] {
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

// DuckDB type names (DESCRIBE's column_type); lists, structs and maps are none of these.
const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?|NUMERIC(\(\d+,\s*\d+\))?)$/i;
const TEMPORAL_TYPE = /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|DATETIME)$/i;

/** Whether sum and avg make sense on a column of this DuckDB type. */
export function isNumericType(type: string): boolean {
  return NUMERIC_TYPE.test(type.trim());
}

/** Whether a column of this DuckDB type can place rows in time. */
export function isTemporalType(type: string): boolean {
  return TEMPORAL_TYPE.test(type.trim());
}

/** Where in the author's SQL an error is: offsets [from, to) and a 1-based line and column. */
export interface SqlErrorLocation {
  from: number;
  to: number;
  line: number;
  column: number;
}

// Where the author's text starts inside the wrapped query (the wrapper's prefix never depends on it).
const PROBE = 'northstar_probe';
const USER_SQL_START = userSelect(PROBE).text.indexOf(PROBE);

/**
 * Where DuckDB says an error is in the author's SQL, or null when it does not say. Reads the
 * `LINE n:` snippet with its caret (DuckDB 0.9 and 1.x, whose caret can be off once the line is
 * cut with "..."), the `at or near "x"` token, `at end of input`, and the names in "Referenced
 * column" / "Table with name" errors; also our own "found ";" at character n".
 */
export function locateSqlError(message: string, userSql: string): SqlErrorLocation | null {
  const body = userSql.replace(/[\s;]+$/u, '');
  const ownBreak = /found ";" at character (\d+)/.exec(message);
  if (ownBreak) return at(userSql, Number(ownBreak[1]) - 1, 1);

  let sent: string;
  try {
    sent = userSelect(userSql).text;
  } catch {
    return null;
  }
  const token = nearToken(message);
  const caret = caretOffset(message, sent);
  const toUser = (sentOffset: number) => sentOffset - USER_SQL_START;

  if (/at end of input/.test(message)) return at(userSql, body.length, 0);
  if (caret !== null) {
    let offset = caret;
    if (token) {
      // Trust the token over the caret: the nearest place the token really is on that line.
      const found = nearestOccurrence(sent, token, caret, lineBounds(sent, caret));
      if (found !== null) offset = found;
    }
    const u = toUser(offset);
    if (u >= body.length) return at(userSql, body.length, 0); // in our wrapper: the SQL ended too early
    return at(userSql, Math.max(0, u), token ? Math.min(token.length, body.length - Math.max(0, u)) : wordLength(body, Math.max(0, u)));
  }
  const named = token ?? /Referenced column "([^"]+)" not found/.exec(message)?.[1] ?? /Table with name (\S+) does not exist/.exec(message)?.[1] ?? null;
  if (named) {
    const found = findWord(body, named);
    if (found !== null) return at(userSql, found, named.length);
  }
  return null;
}

/** The message without DuckDB's `LINE n:` snippet and caret, whose line numbers are of the wrapped query. */
export function sqlErrorSummary(message: string): string {
  return message
    .replace(/\n*LINE \d+: [^\n]*\n *\^/g, '')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

function at(text: string, offset: number, length: number): SqlErrorLocation {
  const from = Math.max(0, Math.min(offset, text.length));
  const to = Math.max(from, Math.min(from + length, text.length));
  const before = text.slice(0, from);
  const line = before.split('\n').length;
  const column = from - (before.lastIndexOf('\n') + 1) + 1;
  return { from, to, line, column };
}

/** The token of `at or near "x"`, first line only (an unterminated string quotes the rest of the query). */
function nearToken(message: string): string | null {
  const start = /at or near "/.exec(message);
  if (!start) return null;
  const rest = message.slice(start.index + start[0].length);
  const end = rest.search(/"(?=\s*\nLINE \d+:|\s*$)/);
  const token = (end === -1 ? rest : rest.slice(0, end)).split('\n')[0] ?? '';
  return token === '' ? null : token;
}

/** The offset in the sent text that DuckDB's caret points at, or null. */
function caretOffset(message: string, sent: string): number | null {
  const m = /LINE (\d+): ([^\n]*)\n( *)\^/.exec(message);
  if (!m) return null;
  const lineNo = Number(m[1]);
  const shown = m[2] ?? '';
  const lines = sent.split('\n');
  const lineText = lines[lineNo - 1];
  if (lineText === undefined) return null;
  const lineStart = lines.slice(0, lineNo - 1).reduce((n, l) => n + l.length + 1, 0);
  const cutStart = shown.startsWith('...');
  const core = shown.slice(cutStart ? 3 : 0).replace(/\.\.\.$/, '');
  const column = (m[3] ?? '').length - `LINE ${lineNo}: `.length - (cutStart ? 3 : 0);
  const snippetAt = cutStart ? Math.max(0, lineText.indexOf(core)) : 0;
  return lineStart + Math.min(lineText.length, snippetAt + Math.max(0, column));
}

function lineBounds(text: string, offset: number): [number, number] {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return [start, end === -1 ? text.length : end];
}

function nearestOccurrence(text: string, token: string, near: number, [from, to]: [number, number]): number | null {
  let best: number | null = null;
  for (let i = text.indexOf(token, from); i !== -1 && i + token.length <= to; i = text.indexOf(token, i + 1)) {
    if (best === null || Math.abs(i - near) < Math.abs(best - near)) best = i;
  }
  return best;
}

/** First occurrence of `word` not inside a longer identifier (case-insensitive), else the first at all. */
function findWord(text: string, word: string): number | null {
  const lower = text.toLowerCase();
  const w = word.toLowerCase();
  let first: number | null = null;
  for (let i = lower.indexOf(w); i !== -1; i = lower.indexOf(w, i + 1)) {
    first ??= i;
    const before = lower[i - 1];
    const after = lower[i + w.length];
    if (!isIdentChar(before) && !isIdentChar(after)) return i;
  }
  return first;
}

function isIdentChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

function wordLength(text: string, offset: number): number {
  const m = /^[A-Za-z0-9_]+|^\S/.exec(text.slice(offset));
  return m ? m[0].length : 0;
}
