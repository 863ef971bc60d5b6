// The bodies of panels: KPI tile, chart, table and text, drawn from a query result.
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type * as echarts from 'echarts/core';
import type { ChartPanel, DataPanel, Dataset, KpiPanel, TablePanel, TimeGrain } from '../../../dashboards/schema';
import type { QueryResult, Row } from '../../../queries/engine/engine';
import { anomalyMarks, buildChartOption, chartCategories, chartFindings } from '../charts/chart-options';
import { EChart, type ChartPoint } from '../charts/lazy-echart';
import { currentGrain } from '../explore';
import { cellTone, formatCell, formatChange, formatTimestamp, formatValue, thresholdTone, type ValueFormat } from '../format';
import { useStore } from '../store';
import { CheckBadge } from './anomaly-panel';
import { Markdown } from './lazy-markdown';

// echart.tsx registers lines and bars; panels draw every chart type of the schema.

/** A text panel: its Markdown, drawn from tokens (never as HTML). */
export function TextBody({ markdown, onOpenLink }: { markdown: string; onOpenLink?: (url: string) => void }) {
  return (
    <div className="text-body">
      <Markdown source={markdown} onOpenLink={onOpenLink} />
    </div>
  );
}

export function PanelBody({
  panel,
  dataset,
  result,
  onDrawn,
  onPointClick,
  onInstance,
  grain,
}: {
  panel: DataPanel;
  dataset: Dataset;
  result: QueryResult;
  onDrawn: () => void;
  onPointClick?: (p: ChartPoint) => void;
  /** Receives the chart instance on screen, and null when it goes (for PNG export). */
  onInstance?: (chart: echarts.ECharts | null) => void;
  /** The time grain `result` was queried at, when it is not the current one (a result kept on screen while a new one loads). */
  grain?: TimeGrain;
}) {
  switch (panel.kind) {
    case 'kpi':
      return <KpiTile panel={panel} dataset={dataset} result={result} />;
    case 'chart':
      return <ChartBody panel={panel} dataset={dataset} result={result} onDrawn={onDrawn} onPointClick={onPointClick} onInstance={onInstance} atGrain={grain} />;
    case 'table':
      return <TableBody panel={panel} result={result} />;
  }
}

const numberOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function KpiTile({ panel, dataset, result }: { panel: KpiPanel; dataset: Dataset; result: QueryResult }) {
  const measure = dataset.measures.find((m) => m.name === panel.measure);
  const format: ValueFormat = panel.format === 'auto' ? (measure?.format ?? 'number') : panel.format;
  const show = (v: number | null, compact = true) => formatValue(v, format, { decimals: panel.decimals, compact });
  const pick = (period: string) => numberOrNull(result.rows.find((r) => r.period === period)?.value);
  const current = pick('current');
  const compared = panel.comparison === 'target' ? (panel.target ?? null) : pick('previous');
  const change = formatChange(current, compared);
  const good = change.direction === null || change.direction === 'flat' ? 'neutral' : (change.direction === 'up') === (panel.goodDirection === 'up') ? 'good' : 'bad';
  const tone = thresholdTone(current, panel.thresholds, panel.goodDirection);
  // The period these numbers are of (the runner says it with every result): the dashboard's, the one
  // stored results were computed for, or a window drilled into on a time chart, which a KPI that
  // follows the clicks compares with as many days before it.
  const days = useStore((s) => {
    const shown = s.panels[panel.id];
    return shown?.status === 'ready' ? (shown.period?.days ?? null) : null;
  });
  const spark = useMemo(
    () =>
      result.rows
        .filter((r) => r.period === 'spark' && typeof r.x === 'number')
        .map((r) => ({ x: r.x as number, y: numberOrNull(r.value) })),
    [result],
  );
  const against =
    panel.comparison === 'previous_period'
      ? `vs ${days === null ? 'previous period' : `previous ${days} days`} (${show(compared)})`
      : panel.comparison === 'previous_year'
        ? `vs same period last year (${show(compared)})`
        : compared === null
          ? 'no target set'
          : `vs target ${show(compared)}`;
  return (
    <div className="kpi">
      <div
        className={`kpi-value${tone ? ` kpi-${tone}` : ''}`}
        data-value={current ?? ''}
        data-tone={tone ?? undefined}
        title={current === null ? '' : `${show(current, false)}${tone ? ` (${tone === 'bad' ? 'past the alert threshold' : 'past the warning threshold'})` : ''}`}
      >
        {show(current)}
      </div>
      {panel.comparison !== 'none' && (
        <div className={`kpi-change ${good}`} data-previous={compared ?? ''}>
          <span className="kpi-delta">{change.text}</span>
          {current !== null && (
            <button type="button" className="kpi-why" aria-label={`Why did ${panel.title} move?`} onClick={() => useStore.getState().setWhyMoved({ panelId: panel.id, point: null })}>
              Why?
            </button>
          )}
          <span className="kpi-vs">{against}</span>
        </div>
      )}
      {panel.sparkline && <Sparkline points={spark} label={sparkLabel(measure?.label ?? panel.measure, spark, show)} />}
      <CheckBadge panelId={panel.id} />
    </div>
  );
}

function sparkLabel(name: string, points: { x: number; y: number | null }[], show: (v: number | null) => string): string {
  const values = points.map((p) => p.y).filter((y): y is number => y !== null);
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || values.length === 0) return `Daily ${name}: no data in this period`;
  return `Daily ${name}, ${formatTimestamp(first.x, false)} to ${formatTimestamp(last.x, false)}: from ${show(first.y)} to ${show(last.y)}, low ${show(Math.min(...values))}, high ${show(Math.max(...values))}`;
}

const SPARK_W = 120;
const SPARK_H = 28;

/** A small inline trend line (SVG, no chart engine): x by time, y scaled to the day values. */
export function Sparkline({ points, label }: { points: { x: number; y: number | null }[]; label: string }) {
  const drawn = points.filter((p): p is { x: number; y: number } => p.y !== null);
  const pad = 2;
  let shape = null;
  let zero = null;
  if (drawn.length > 0) {
    const xs = drawn.map((p) => p.x);
    const ys = drawn.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const sx = (x: number) => (x1 === x0 ? SPARK_W / 2 : pad + ((x - x0) / (x1 - x0)) * (SPARK_W - 2 * pad));
    const sy = (y: number) => (y1 === y0 ? SPARK_H / 2 : SPARK_H - pad - ((y - y0) / (y1 - y0)) * (SPARK_H - 2 * pad));
    if (y0 < 0 && y1 > 0) zero = <line className="sparkline-zero" x1={0} x2={SPARK_W} y1={sy(0)} y2={sy(0)} />;
    const only = drawn.length === 1 ? drawn[0] : undefined;
    shape = only ? (
        <circle cx={sx(only.x)} cy={sy(only.y)} r={2} />
      ) : (
        <polyline points={drawn.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')} />
      );
  }
  return (
    <svg className="sparkline" role="img" aria-label={label} viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} width={SPARK_W} height={SPARK_H} preserveAspectRatio="none">
      <title>{label}</title>
      {zero}
      {shape}
    </svg>
  );
}

function ChartBody({
  panel,
  dataset,
  result,
  onDrawn,
  onPointClick,
  onInstance,
  atGrain,
}: {
  panel: ChartPanel;
  dataset: Dataset;
  result: QueryResult;
  onDrawn: () => void;
  onPointClick?: (p: ChartPoint) => void;
  onInstance?: (chart: echarts.ECharts | null) => void;
  atGrain?: TimeGrain;
}) {
  // A drill or the grain picker may draw time at another grain than the panel's: label by that one.
  const currentTimeGrain = useStore((s) => (panel.x.type === 'time' ? currentGrain(panel, s.explore) : undefined));
  const grain = atGrain ?? currentTimeGrain;
  // Failing checks' days are marked on the chart; a click on a mark opens the finding.
  const checks = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.checks);
  const results = useStore((s) => s.checks?.results);
  const focusCheck = useStore((s) => s.focusCheck);
  const marks = useMemo(
    () => anomalyMarks(panel, result, chartFindings(panel, dataset, checks ?? [], results ?? []), grain),
    [panel, dataset, result, grain, checks, results],
  );
  const option = useMemo(() => buildChartOption(panel, dataset, result, grain, marks), [panel, dataset, result, grain, marks]);
  const marksData = useMemo(() => JSON.stringify(marks.map((m) => ({ check: m.checkId, kind: m.kind, from: m.fromLabel, to: m.toLabel, status: m.status, text: m.text }))), [marks]);
  // The chart reports the category clicked; drill-down reads a result row. "Other" is not one member.
  const onClick = useMemo(() => {
    if (!onPointClick) return undefined;
    // A heatmap reports the cell clicked, which is its result row.
    if (panel.chart === 'heatmap') return onPointClick;
    const categories = chartCategories(panel, result, grain);
    return (p: ChartPoint) => {
      const c = categories[p.dataIndex];
      if (c && !c.other) onPointClick({ ...p, dataIndex: c.row });
    };
  }, [panel, result, onPointClick, grain]);
  if (result.rows.length === 0) {
    return <EmptyResult onShown={onDrawn} />;
  }
  return <EChart option={option} onDrawn={onDrawn} onPointClick={onClick} onInstance={onInstance} onMarkClick={focusCheck} marks={marksData} label={panel.title} />;
}

function EmptyResult({ onShown }: { onShown: () => void }) {
  useEffect(onShown, [onShown]);
  return <div className="panel-empty">No rows in this period.</div>;
}

const isNumericType = (type: string) => /^(Float|Int|Uint|Decimal)/.test(type);

// A page of more rows than this draws only the rows in view (and OVERSCAN on each side), with
// spacer rows for the rest, as the scroll moves. Measured in a cold open of the demo (a page of 100
// rows, 10 columns), the frame that first drew the table restyled 1,119 elements and laid out 2,139
// boxes: ~25 ms of the page's thread in one task. A page may hold 1,000 rows.
const TABLE_WINDOW_FROM = 60;
const OVERSCAN = 8;
/** A row's height before one is measured (12 px text, 5 px padding each side, a 1 px rule). */
const ROW_ESTIMATE_PX = 25;

/** A number per object, for keys (a new result or page is shown from its top). */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;
function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = ++lastObjectId;
    objectIds.set(o, id);
  }
  return id;
}

/**
 * The rows [start, end) of `count` to draw for the scroll position of `scroller`, the element keyed
 * `viewKey` (a new key is a new element, scrolled to its top).
 */
function useRowWindow(count: number, viewKey: string, scroller: RefObject<HTMLDivElement | null>, sample: RefObject<HTMLTableRowElement | null>): { windowed: boolean; start: number; end: number; rowPx: number } {
  const windowed = count > TABLE_WINDOW_FROM;
  const [seen, setView] = useState({ key: viewKey, top: 0, height: 600 });
  const view = seen.key === viewKey ? seen : { ...seen, top: 0 };
  const [rowPx, setRowPx] = useState(ROW_ESTIMATE_PX);
  useEffect(() => {
    const el = scroller.current;
    if (!windowed || !el) return;
    let frame = 0;
    // Read in an animation frame: the frame lays the page out then anyway (a read in React's
    // commit would force a layout of its own in that task).
    const update = () => {
      frame = 0;
      const measured = sample.current?.getBoundingClientRect().height ?? 0;
      if (measured > 0) setRowPx((px) => (Math.abs(measured - px) > 0.5 ? measured : px));
      setView((v) => (v.key === viewKey && v.top === el.scrollTop && v.height === el.clientHeight ? v : { key: viewKey, top: el.scrollTop, height: el.clientHeight }));
    };
    const later = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    el.addEventListener('scroll', later, { passive: true });
    const resize = new ResizeObserver(later);
    resize.observe(el);
    later();
    return () => {
      el.removeEventListener('scroll', later);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [windowed, viewKey, scroller, sample]);
  if (!windowed) return { windowed, start: 0, end: count, rowPx };
  const start = Math.max(0, Math.min(count, Math.floor(view.top / rowPx)) - OVERSCAN);
  const end = Math.min(count, Math.ceil((view.top + view.height) / rowPx) + OVERSCAN);
  return { windowed, start, end: Math.max(end, start), rowPx };
}

function TableBody({ panel, result }: { panel: TablePanel; result: QueryResult }) {
  // The page resets when a new result arrives (filters, drill): no effect, just remember whose page it is.
  const [paging, setPaging] = useState({ result, page: 0 });
  const rules = useMemo(() => {
    const byColumn = new Map<string, TablePanel['rules']>();
    for (const rule of panel.rules) byColumn.set(rule.column, [...(byColumn.get(rule.column) ?? []), rule]);
    return byColumn;
  }, [panel.rules]);
  const total = result.rows.length;
  const pages = Math.max(1, Math.ceil(total / panel.pageSize));
  const page = paging.result === result ? Math.min(paging.page, pages - 1) : 0;
  const first = page * panel.pageSize;
  const shown: Row[] = useMemo(() => (pages > 1 ? result.rows.slice(first, first + panel.pageSize) : result.rows), [result, pages, first, panel.pageSize]);
  const scroller = useRef<HTMLDivElement>(null);
  const sample = useRef<HTMLTableRowElement>(null);
  const viewKey = `${objectId(result)}:${page}`;
  const { windowed, start, end, rowPx } = useRowWindow(shown.length, viewKey, scroller, sample);
  // A new result is shown in the same rows and cells, updated in place (a click's new result made
  // ~330 new cells, and removed as many, at 5M rows). It starts at its top: the scroll goes back
  // only if the reader scrolled (setting it lays the page out in React's commit).
  const scrolled = useRef(false);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && scrolled.current) el.scrollTop = 0;
    scrolled.current = false;
  }, [viewKey]);
  // Drawn in a window, a column would widen and narrow as rows of other widths scroll in: each
  // column is at least as wide as the page's widest value in it (in characters, as formatted).
  const widthsCh = useMemo(() => {
    if (!windowed) return null;
    return result.columns.map((c) => {
      let widest = c.name.length;
      for (const row of shown) widest = Math.max(widest, formatCell(row[c.name] ?? null, c.type).length);
      return widest;
    });
  }, [windowed, shown, result.columns]);
  if (result.rows.length === 0) return <div className="panel-empty">No rows in this period.</div>;
  const goTo = (p: number) => setPaging({ result, page: Math.max(0, Math.min(pages - 1, p)) });
  const names = new Set(result.columns.map((c) => c.name));
  const missing = [...rules.keys()].filter((c) => !names.has(c));
  // Spacer rows hold the scroll height of the rows not drawn. They have no cells, so they are no
  // one's row (a selector or a screen reader sees only rows of the result).
  const spacer = (rows: number) => (rows > 0 ? <tr className="table-spacer" aria-hidden="true" style={{ height: rows * rowPx }} /> : null);
  return (
    <div className="table-body">
      {/* A new page starts at its top: a new scroll container. */}
      <div className="table-scroll" ref={scroller} key={page} onScroll={(e) => (scrolled.current = e.currentTarget.scrollTop > 0)}>
        <table className="data-table" aria-rowcount={shown.length + 1}>
          {widthsCh && (
            <colgroup>
              {widthsCh.map((w, i) => (
                <col key={result.columns[i]?.name ?? i} style={{ width: `calc(${w}ch + 28px)` }} />
              ))}
            </colgroup>
          )}
          <thead>
            <tr aria-rowindex={1}>
              {result.columns.map((c) => (
                <th key={c.name} className={isNumericType(c.type) ? 'num' : undefined}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {spacer(start)}
            {shown.slice(start, end).map((row, i) => (
              <tr key={first + start + i} ref={i === 0 ? sample : undefined} aria-rowindex={start + i + 2}>
                {result.columns.map((c) => {
                  const value = row[c.name] ?? null;
                  const columnRules = rules.get(c.name);
                  const tone = columnRules ? cellTone(value, columnRules) : null;
                  const classes = [isNumericType(c.type) ? 'num' : '', tone ? `cell-${tone}` : ''].filter(Boolean).join(' ');
                  return (
                    <td key={c.name} className={classes || undefined} data-tone={tone ?? undefined}>
                      {formatCell(value, c.type)}
                    </td>
                  );
                })}
              </tr>
            ))}
            {spacer(shown.length - end)}
          </tbody>
        </table>
      </div>
      <div className="table-footer">
        <span className="table-range">
          {pages > 1 ? `Rows ${first + 1}–${first + shown.length} of ${total}` : `${total} ${total === 1 ? 'row' : 'rows'}`}
          {total === panel.limit ? ` (first ${panel.limit})` : ''}
        </span>
        {missing.length > 0 && (
          <span className="table-warning" role="note">
            {`Formatting rule${missing.length > 1 ? 's' : ''} on ${missing.map((c) => `"${c}"`).join(', ')} ignored: no such column.`}
          </span>
        )}
        {pages > 1 && (
          <span className="table-pager">
            <button type="button" onClick={() => goTo(page - 1)} disabled={page === 0} aria-label="Previous page">
              Previous
            </button>
            <span className="muted">
              Page {page + 1} of {pages}
            </span>
            <button type="button" onClick={() => goTo(page + 1)} disabled={page === pages - 1} aria-label="Next page">
              Next
            </button>
          </span>
        )}
      </div>
    </div>
  );
}
