// The filter bar: the period and grain, the dashboard's saved filters as chips, the click filter
// and drill context, and "+ Filter" with a searchable member list with counts.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DashboardFile, Dataset, Filter, TimeGrain, TimeRange } from '../../../dashboards/schema';
import { datasetTable } from '../../../queries/dashboard-runner';
import { memberCountsQuery } from '../../../queries/panel-queries';
import { editFilters, explore, type ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';
import { ViewsMenu } from './views-menu';

const PRESETS: { id: string; label: string; range: TimeRange }[] = [
  { id: 'last7', label: 'Last 7 days', range: { lastDays: 7, anchor: 'data' } },
  { id: 'last30', label: 'Last 30 days', range: { lastDays: 30, anchor: 'data' } },
  { id: 'last90', label: 'Last 90 days', range: { lastDays: 90, anchor: 'data' } },
  { id: 'mtd', label: 'Month to date', range: { toDate: 'month', anchor: 'data' } },
  { id: 'qtd', label: 'Quarter to date', range: { toDate: 'quarter', anchor: 'data' } },
  { id: 'ytd', label: 'Year to date', range: { toDate: 'year', anchor: 'data' } },
];

function presetOf(range: TimeRange): string {
  if ('from' in range) return 'custom';
  const found = PRESETS.find((p) => JSON.stringify(p.range) === JSON.stringify({ ...range, anchor: range.anchor ?? 'data' }));
  return found?.id ?? ('lastDays' in range ? `days:${range.lastDays}` : 'custom');
}

export function FilterBar({ deps }: { deps: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const viewing = useStore((s) => s.viewing);
  const state = useStore((s) => s.explore);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      const s = deps.store.getState().explore;
      if (s.clickFilter) void explore(deps, (x) => ({ ...x, clickFilter: null }));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [deps]);

  if (!dashboard) return null;
  const doc = viewing?.dashboard ?? dashboard;
  const readOnly = viewing !== null;
  const hasTime = doc.datasets.some((d) => d.timeColumn);
  const context = contextChips(doc, state);

  return (
    <div className="filter-bar" role="toolbar" aria-label="Filters">
      {hasTime && <PeriodPicker deps={deps} range={doc.timeRange} disabled={readOnly} />}
      {hasTime && (
        <label className="inline">
          Grain
          <select
            aria-label="Time grain"
            value={state.grain ?? 'auto'}
            onChange={(e) => {
              const v = e.target.value;
              void explore(deps, (x) => ({ ...x, grain: v === 'auto' ? null : (v as TimeGrain) }));
            }}
          >
            <option value="auto">As designed</option>
            <option value="day">Day</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
            <option value="quarter">Quarter</option>
            <option value="year">Year</option>
          </select>
        </label>
      )}
      {doc.filters.map((f) => (
        <FilterChip key={f.id} deps={deps} filter={f} dashboard={doc} readOnly={readOnly} />
      ))}
      {context.map((c) => (
        <span key={c.key} className="chip context" data-testid="context-chip">
          <span>{c.label}</span>
          <button type="button" className="ghost" aria-label={`Clear ${c.label}`} onClick={() => void explore(deps, c.clear)}>
            ✕
          </button>
        </span>
      ))}
      {!readOnly && (
        <div className="add-filter">
          <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
            + Filter
          </button>
          {adding && <FilterEditor deps={deps} dashboard={doc} onDone={() => setAdding(false)} />}
        </div>
      )}
      {!readOnly && <ViewsMenu deps={deps} />}
      <label className="inline cross-toggle">
        <input
          type="checkbox"
          checked={state.crossFilter}
          onChange={(e) => {
            const on = e.target.checked;
            void explore(deps, (x) => ({ ...x, crossFilter: on, clickFilter: on ? x.clickFilter : null }));
          }}
        />
        Clicks filter other panels
      </label>
    </div>
  );
}

function contextChips(doc: DashboardFile, state: ReturnType<typeof useStore.getState>['explore']) {
  const chips: { key: string; label: string; clear: (e: typeof state) => typeof state }[] = [];
  const dimLabel = (name: string) => {
    for (const d of doc.datasets) {
      const dim = d.dimensions.find((x) => x.name === name);
      if (dim) return dim.label ?? dim.name;
    }
    return name;
  };
  if (state.clickFilter) {
    const c = state.clickFilter;
    chips.push({ key: 'click', label: `${dimLabel(c.dimension)} = ${c.value ?? '(null)'} (click)`, clear: (e) => ({ ...e, clickFilter: null }) });
  }
  if (state.crossFilter) {
    for (const [id, drill] of Object.entries(state.drills)) {
      const title = doc.panels.find((p) => p.id === id)?.title ?? id;
      const path = drill.steps.map((s) => (s.kind === 'member' ? (s.value ?? '(null)') : s.label));
      if (path.length === 0) continue;
      chips.push({
        key: `drill:${id}`,
        label: `${title}: ${path.join(' › ')}`,
        clear: (e) => {
          const drills = { ...e.drills };
          delete drills[id];
          return { ...e, drills };
        },
      });
    }
  }
  return chips;
}

function PeriodPicker({ deps, range, disabled }: { deps: ActionDeps; range: TimeRange; disabled: boolean }) {
  const preset = presetOf(range);
  const [from, setFrom] = useState('from' in range ? range.from : '');
  const [to, setTo] = useState('from' in range ? range.to : '');
  const [custom, setCustom] = useState(preset === 'custom');
  const apply = (next: TimeRange) => void editFilters(deps, (d) => ({ ...d, timeRange: next }));
  return (
    <div className="period-picker">
      <select
        aria-label="Period"
        disabled={disabled}
        value={custom ? 'custom' : preset}
        onChange={(e) => {
          const id = e.target.value;
          if (id === 'custom') {
            setCustom(true);
            return;
          }
          setCustom(false);
          const found = PRESETS.find((p) => p.id === id);
          if (found) apply(found.range);
        }}
      >
        {PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
        {preset.startsWith('days:') && <option value={preset}>{`Last ${preset.slice(5)} days`}</option>}
        <option value="custom">Custom…</option>
      </select>
      {custom && (
        <form
          className="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            if (from && to && from <= to) apply({ from, to });
          }}
        >
          <input type="date" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} required />
          <span>–</span>
          <input type="date" aria-label="To" value={to} min={from} onChange={(e) => setTo(e.target.value)} required />
          <button type="submit">Apply</button>
        </form>
      )}
    </div>
  );
}

function FilterChip({ deps, filter, dashboard, readOnly }: { deps: ActionDeps; filter: Filter; dashboard: DashboardFile; readOnly: boolean }) {
  const dataset = dashboard.datasets.find((d) => d.name === filter.dataset);
  const dim = dataset?.dimensions.find((d) => d.name === filter.dimension);
  const label = `${dim?.label ?? filter.dimension}: ${filter.values.length === 0 ? 'all' : filter.values.slice(0, 3).join(', ')}${filter.values.length > 3 ? ` +${filter.values.length - 3}` : ''}`;
  return (
    <span className="chip" data-testid="filter-chip">
      <span>{label}</span>
      {!readOnly && (
        <button
          type="button"
          className="ghost"
          aria-label={`Remove filter ${dim?.label ?? filter.dimension}`}
          onClick={() => void editFilters(deps, (d) => ({ ...d, filters: d.filters.filter((f) => f.id !== filter.id) }))}
        >
          ✕
        </button>
      )}
    </span>
  );
}

/** Pick a dimension, then members from a searchable list with row counts. */
function FilterEditor({ deps, dashboard, onDone }: { deps: ActionDeps; dashboard: DashboardFile; onDone: () => void }) {
  const datasets = useStore((s) => s.datasets);
  const choices = useMemo(
    () => dashboard.datasets.flatMap((ds) => ds.dimensions.map((dim) => ({ ds, dim, key: `${ds.name}.${dim.name}` }))),
    [dashboard],
  );
  const [choice, setChoice] = useState(choices[0]?.key ?? '');
  const [members, setMembers] = useState<{ member: string | null; rows: number }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<Set<string | null>>(new Set());
  const box = useRef<HTMLDivElement>(null);
  const selected = choices.find((c) => c.key === choice);

  useEffect(() => {
    if (!selected) return;
    let live = true;
    setMembers(null);
    setError(null);
    const existing = dashboard.filters.find((f) => f.dataset === selected.ds.name && f.dimension === selected.dim.name);
    setPicked(new Set(existing?.values ?? []));
    void loadMembers(deps, selected.ds, selected.dim.name, datasets[selected.ds.name])
      .then((m) => live && setMembers(m))
      .catch((err: unknown) => live && setError((err as Error).message));
    return () => {
      live = false;
    };
  }, [deps, selected, dashboard.filters, datasets]);

  const shown = (members ?? []).filter((m) => (m.member ?? '(null)').toLowerCase().includes(search.toLowerCase()));
  const apply = () => {
    if (!selected) return;
    const values = [...picked].filter((v): v is string => v !== null);
    const id = `f_${selected.dim.name}`.slice(0, 64);
    void editFilters(deps, (d) => {
      const others = d.filters.filter((f) => !(f.dataset === selected.ds.name && f.dimension === selected.dim.name));
      const next: Filter[] = values.length === 0 ? others : [...others, { id: uniqueId(id, others), kind: 'dimension', dataset: selected.ds.name, dimension: selected.dim.name, values }];
      return { ...d, filters: next };
    });
    onDone();
  };

  return (
    <div className="popover filter-editor" role="dialog" aria-label="Add a filter" ref={box} onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), onDone())}>
      <label>
        Dimension
        <select aria-label="Dimension" value={choice} onChange={(e) => setChoice(e.target.value)}>
          {choices.map((c) => (
            <option key={c.key} value={c.key}>
              {c.dim.label ?? c.dim.name}
              {dashboard.datasets.length > 1 ? ` (${c.ds.label ?? c.ds.name})` : ''}
            </option>
          ))}
        </select>
      </label>
      <input type="search" aria-label="Search members" placeholder="Search…" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus />
      {error && <div className="form-error">{error}</div>}
      {members === null && !error && <div className="muted small">Loading members…</div>}
      <ul className="member-list" aria-label="Members">
        {shown.slice(0, 200).map((m) => (
          <li key={m.member ?? '\u0000null'}>
            <label>
              <input
                type="checkbox"
                checked={picked.has(m.member)}
                disabled={m.member === null}
                onChange={(e) => {
                  const next = new Set(picked);
                  if (e.target.checked) next.add(m.member);
                  else next.delete(m.member);
                  setPicked(next);
                }}
              />
              <span className="member-name">{m.member ?? '(null)'}</span>
              <span className="member-count">{m.rows.toLocaleString('en-US')}</span>
            </label>
          </li>
        ))}
      </ul>
      {shown.length > 200 && <div className="muted small">Showing 200 of {shown.length}: search to narrow.</div>}
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={apply}>
          Apply filter
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function uniqueId(base: string, filters: Filter[]): string {
  let id = base;
  for (let i = 2; filters.some((f) => f.id === id); i += 1) id = `${base.slice(0, 60)}_${i}`;
  return id;
}

async function loadMembers(deps: ActionDeps, ds: Dataset, dimension: string, state: ReturnType<typeof useStore.getState>['datasets'][string] | undefined) {
  if (state?.status !== 'ready') throw new Error(`Dataset "${ds.name}" is not loaded yet.`);
  const engine = await deps.engine();
  const ctx = { dataset: ds, table: datasetTable(ds), columns: new Set(state.columns.map((c) => c.name)), period: state.period };
  const result = await engine.query(memberCountsQuery(ctx, dimension));
  return result.rows.map((r) => ({ member: r.member === null ? null : String(r.member), rows: Number(r.rows) }));
}
