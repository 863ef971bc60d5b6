// "Why did this move?": a side drawer that splits the change of a KPI (or of one point of a time
// chart) by every dimension of its dataset, ranked by how concentrated the explanation is, with a
// click to drill into a member and breadcrumbs back, and "Apply as filter" to carry the path to
// the dashboard. The math and the chart option live in ../actions/explain-actions.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DimensionExplanation, MemberContribution } from '../../../queries/explain-queries';
import { isDataPanel } from '../../../queries/dashboard-runner';
import { explore, type ActionDeps } from '../actions/dashboard-actions';
import {
  applyPathAsFilter,
  contributionChart,
  explainAll,
  explainSetup,
  headline,
  memberLabel,
  methodNote,
  signedPoints,
  signedValue,
  timeBuckets,
  type ExplainSetup,
  type ExplainStep,
} from '../actions/explain-actions';
import { EChart, type ChartPoint } from '../charts/lazy-echart';
import { formatTimeBucket, formatValue } from '../format';
import { useStore } from '../store';
import './why-moved.css';

type Run =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; dims: DimensionExplanation[]; root: { current: number | null; previous: number | null }; forPath: ExplainStep[]; forSetup: ExplainSetup };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The drawer; renders nothing unless a target is set in the store. */
export function WhyMoved({ deps }: { deps: ActionDeps }) {
  const target = useStore((s) => s.whyMoved);
  if (!target) return null;
  // A new target starts a fresh drawer (path, tab and point belong to one target).
  return <WhyMovedDrawer key={`${target.panelId}:${target.point ?? ''}`} deps={deps} target={target} />;
}

function WhyMovedDrawer({ deps, target }: { deps: ActionDeps; target: { panelId: string; point: number | null } }) {
  const file = useStore((s) => s.viewing?.dashboard ?? s.dashboard);
  const state = useStore((s) => s.explore);
  const setWhyMoved = useStore((s) => s.setWhyMoved);
  const panel = file?.panels.find((p) => p.id === target.panelId);
  const datasetState = useStore((s) => (panel && isDataPanel(panel) ? s.datasets[panel.dataset] : undefined));
  const panelState = useStore((s) => s.panels[target.panelId]);
  const [path, setPath] = useState<ExplainStep[]>([]);
  const [point, setPoint] = useState<number | null>(target.point);
  const [tab, setTab] = useState<string | null>(null);
  const [run, setRun] = useState<Run>({ status: 'loading' });
  // The totals before any drill: points of every step are of this previous value.
  const rootRef = useRef<{ current: number | null; previous: number | null } | null>(null);
  const box = useRef<HTMLElement>(null);
  const titleId = useId();

  const buckets = useMemo(() => (panelState?.status === 'ready' && panel?.kind === 'chart' ? timeBuckets(panelState.result.rows) : []), [panelState, panel]);
  const loaded = useMemo(
    () => (datasetState?.status === 'ready' ? { columns: new Set(datasetState.columns.map((c) => c.name)), period: datasetState.period } : null),
    [datasetState],
  );
  const setup = useMemo((): { ok: true; setup: ExplainSetup } | { ok: false; message: string } | null => {
    if (!file || !loaded) return null;
    try {
      return { ok: true, setup: explainSetup(file, state, { panelId: target.panelId, point }, loaded, buckets[buckets.length - 1] ?? null) };
    } catch (err) {
      return { ok: false, message: message(err) };
    }
  }, [file, state, target.panelId, point, loaded, buckets]);

  // The drawer takes the focus, and gives it back to where it came from when it closes.
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    box.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => before?.focus();
  }, []);

  useEffect(() => {
    if (!setup?.ok || !loaded) return;
    let live = true;
    setRun({ status: 'loading' });
    void (async () => {
      try {
        const engine = await deps.engine();
        const dims = await explainAll(engine, setup.setup, loaded, path, { isStale: () => !live });
        if (!live) return;
        const first = dims[0];
        if (path.length === 0 || rootRef.current === null) rootRef.current = first ? { current: first.total.current, previous: first.total.previous } : null;
        setRun({ status: 'ready', dims, root: rootRef.current ?? { current: null, previous: null }, forPath: path, forSetup: setup.setup });
      } catch (err) {
        if (live) setRun({ status: 'error', message: message(err) });
      }
    })();
    return () => {
      live = false;
    };
  }, [deps, setup, loaded, path]);

  const close = () => setWhyMoved(null);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      // The dashboard's own Esc (clearing a click filter) must not see this one.
      e.stopPropagation();
      e.nativeEvent.stopImmediatePropagation();
      close();
    }
  };

  const s = setup?.ok ? setup.setup : null;
  // A result is shown only for the path and periods it was computed for (not for one clicked since).
  const ready = run.status === 'ready' && run.forPath === path && run.forSetup === s ? run : null;
  const explaining = setup?.ok === true && run.status !== 'error' && ready === null;
  const dims = ready?.dims ?? [];
  const shown = dims.find((d) => d.dimension === tab) ?? dims[0];
  const dimLabel = (name: string) => s?.dataset.dimensions.find((d) => d.name === name)?.label ?? name;
  const drill = (m: MemberContribution) => {
    if (!shown || m.other) return;
    setPath([...path, { dimension: shown.dimension, value: m.member, contribution: m.contribution }]);
    setTab(null);
  };
  const lead = shown?.members.find((m) => !m.other);
  const sentence = s && ready ? headline(s, ready.root, path, shown && lead ? { dimension: shown.dimension, value: lead.member, contribution: lead.contribution } : null) : null;
  const chart = s && shown ? contributionChart(shown, s, ready?.root.previous ?? null) : null;
  const onBarClick = (p: ChartPoint) => {
    const m = chart?.members[p.dataIndex];
    if (m) drill(m);
  };

  return (
    <aside ref={box} className="drawer why-moved" role="dialog" aria-labelledby={titleId} onKeyDown={onKeyDown}>
      <header className="dialog-header">
        <h2 id={titleId}>Why did this move?</h2>
        <button type="button" className="ghost" onClick={close} aria-label="Close" data-autofocus>
          ✕
        </button>
      </header>
      <div className="why-subject muted small">
        {panel?.title ?? target.panelId}
        {s && ` · ${s.currentLabel} vs ${s.comparisonLabel}`}
      </div>
      {s?.grain && buckets.length > 0 && (
        <label className="why-point">
          Point{' '}
          <select
            aria-label="Point"
            value={s.spec.current.start}
            onChange={(e) => {
              setPoint(Number(e.target.value));
              setPath([]);
              setTab(null);
            }}
          >
            {buckets.map((b) => (
              <option key={b} value={b}>
                {formatTimeBucket(b, s.grain ?? 'day')}
              </option>
            ))}
          </select>
        </label>
      )}
      {s?.note && <div className="why-note small" role="note">{s.note}</div>}
      {!loaded && <div className="muted">Waiting for the data…</div>}
      {setup && !setup.ok && (
        <div className="form-error" role="alert">
          {setup.message}
        </div>
      )}
      {run.status === 'error' && (
        <div className="form-error" role="alert">
          Could not explain the change: {run.message}
        </div>
      )}
      {sentence && (
        <p className="why-headline" data-testid="why-headline">
          {sentence}
        </p>
      )}
      <nav className="why-path" aria-label="Explanation path">
        <button type="button" className="crumb" disabled={path.length === 0} onClick={() => (setPath([]), setTab(null))}>
          All
        </button>
        {path.map((step, i) => (
          <span key={i}>
            <span className="crumb-sep">›</span>
            <button type="button" className="crumb" disabled={i === path.length - 1} aria-current={i === path.length - 1 ? 'location' : undefined} onClick={() => (setPath(path.slice(0, i + 1)), setTab(null))}>
              {step.dimension}={step.value ?? '(null)'}
            </button>
          </span>
        ))}
        <button
          type="button"
          className="why-apply"
          disabled={path.length === 0 || !s}
          title={path.length === 0 ? 'Click a member first: its path becomes the filter' : undefined}
          onClick={() => {
            if (!s) return;
            close();
            void explore(deps, (e) => applyPathAsFilter(e, s.panel.id, path));
          }}
        >
          Apply as filter
        </button>
      </nav>
      {explaining && (
        <div className="muted" aria-live="polite">
          Explaining…
        </div>
      )}
      {ready && dims.length === 0 && <div className="muted">Every dimension is in the path: there is nothing left to split by.</div>}
      {ready && shown && s && (
        <>
          <DimensionTabs dims={dims} selected={shown.dimension} label={dimLabel} onSelect={setTab} />
          <div className="why-panel" role="tabpanel" aria-label={`By ${dimLabel(shown.dimension)}`} data-dimension={shown.dimension}>
            {chart && (
              <div className="why-chart" style={{ height: Math.max(140, 30 * chart.members.length + 40) }}>
                <EChart option={chart.option} onPointClick={onBarClick} label={`Contributions to the change by ${dimLabel(shown.dimension)}`} />
              </div>
            )}
            <p className="muted small why-method" data-method={shown.method}>
              {methodNote(shown.method, s.measure, shown.exclusiveDistinct)}
              {shown.unexplained !== null && shown.method !== 'leave_one_out' && Math.abs(shown.unexplained) > 1e-9 * Math.max(1, Math.abs(shown.total.previous ?? 0))
                ? ` Not attributed to a member: ${signedValue(shown.unexplained, s.format)}.`
                : ''}
            </p>
            <table className="data-table why-members">
              <thead>
                <tr>
                  <th>{dimLabel(shown.dimension)}</th>
                  <th className="num">Now</th>
                  <th className="num">Before</th>
                  <th className="num">Change</th>
                  <th className="num">Points</th>
                </tr>
              </thead>
              <tbody>
                {shown.members.map((m, i) => (
                  <tr key={i} data-member={m.other ? '' : (m.member ?? '')} data-other={m.other || undefined} data-contribution={m.contribution ?? ''}>
                    <td>
                      {m.other ? (
                        memberLabel(m)
                      ) : (
                        <button type="button" className="link" onClick={() => drill(m)} title={`Drill into ${memberLabel(m)}`}>
                          {memberLabel(m)}
                        </button>
                      )}
                      {m.status !== 'both' && <span className="pill">{m.status}</span>}
                    </td>
                    <td className="num">{formatValue(m.current, s.format)}</td>
                    <td className="num">{formatValue(m.previous, s.format)}</td>
                    <td className="num">{signedValue(m.contribution, s.format)}</td>
                    <td className="num">{signedPoints(m.contribution, ready.root.previous, s.format)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </aside>
  );
}

/** One tab per dimension (WAI-ARIA tabs: arrows, Home and End move and select). */
function DimensionTabs({ dims, selected, label, onSelect }: { dims: DimensionExplanation[]; selected: string; label: (d: string) => string; onSelect: (d: string) => void }) {
  const list = useRef<HTMLDivElement>(null);
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = dims.findIndex((d) => d.dimension === selected);
    const go = (i: number) => {
      const d = dims[(i + dims.length) % dims.length];
      if (!d) return;
      e.preventDefault();
      onSelect(d.dimension);
      requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`[data-dimension="${CSS.escape(d.dimension)}"]`)?.focus());
    };
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(dims.length - 1);
  };
  return (
    <div ref={list} className="why-tabs" role="tablist" aria-label="Split by" onKeyDown={onKey}>
      {dims.map((d) => (
        <button
          key={d.dimension}
          type="button"
          role="tab"
          data-dimension={d.dimension}
          aria-selected={d.dimension === selected}
          tabIndex={d.dimension === selected ? 0 : -1}
          onClick={() => onSelect(d.dimension)}
        >
          {label(d.dimension)}
        </button>
      ))}
    </div>
  );
}
