// The anomaly panel: the dashboard's data-quality check results, worst first in the summary and in
// file order below, each row opening into the example rows that failed. Text only: messages and
// examples come from the data and are never read as HTML.
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { AnomalyPanel } from '../../../dashboards/schema';
import type { CheckResult, CheckStatus, Example } from '../../../queries/checks/index';
import type { CorrectionProposal } from '../../../queries/corrections';
import { proposalsByCheck } from '../actions/correction-actions';
import type { ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';
import { CorrectionsList, FixButton } from './corrections';
import { NoChecks } from './empty-panel';

const MARKS: Record<CheckStatus, { mark: string; label: string }> = {
  pass: { mark: '✓', label: 'passing' },
  warn: { mark: '!', label: 'warning' },
  fail: { mark: '✗', label: 'failing' },
  error: { mark: '⚠', label: 'could not run' },
};

/**
 * The body of an anomaly panel: a summary line and one expandable row per check. Drawn again only
 * when the checks, the file or its own props change: its frame re-renders on every click (the
 * explore state and the run change), and the rows were ~5 ms of each click's first task at 5M rows.
 */
export const AnomalyBody = memo(function AnomalyBody({ panel, deps }: { panel: AnomalyPanel; deps?: ActionDeps }) {
  const declared = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.checks ?? []);
  const checks = useStore((s) => s.checks);
  // Fixes are offered on the working copy only (a revision on screen is read-only), and not on raw data.
  const working = useStore((s) => (s.viewing || s.showRaw ? null : s.dashboard));
  const proposals = useMemo(() => (working && checks && deps ? proposalsByCheck(working, checks.results) : new Map<string, CorrectionProposal>()), [working, checks, deps]);
  const wanted = (id: string) => panel.checks.length === 0 || panel.checks.includes(id);
  if (declared.filter((c) => wanted(c.id)).length === 0) return <NoChecks deps={deps} />;
  if (!checks) return <div className="panel-empty">Running the data checks…</div>;
  const results = checks.results.filter((r) => wanted(r.id));
  return (
    <div className="anomaly-body">
      <div className="anomaly-summary" data-testid="check-summary">
        <span>{summaryLine(results)}</span>
        <span className="muted small">last run {new Date(checks.ranAt).toLocaleTimeString()}</span>
      </div>
      <ul className="anomaly-list">
        {results.map((r) => (
          <CheckRow key={r.id} result={r} proposal={proposals.get(r.id)} deps={deps} />
        ))}
      </ul>
      <CorrectionsList deps={deps} />
    </div>
  );
});

/** "2 failing, 1 warning, 4 passing", worst first; statuses no check has are left out. */
export function summaryLine(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const parts = [
    [count('fail'), 'failing', 'failing'],
    [count('error'), 'could not run', 'could not run'],
    [count('warn'), 'warning', 'warnings'],
    [count('pass'), 'passing', 'passing'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`)
    .join(', ');
}

function CheckRow({ result, proposal, deps }: { result: CheckResult; proposal?: CorrectionProposal; deps?: ActionDeps }) {
  const [open, setOpen] = useState(false);
  const { mark, label } = MARKS[result.status];
  const hasExamples = result.examples.length > 0;
  // A chart mark or KPI badge asked for this check: bring it into view, opened.
  const row = useRef<HTMLLIElement>(null);
  const focused = useStore((s) => (s.focusedCheck?.id === result.id ? s.focusedCheck.seq : 0));
  useEffect(() => {
    if (!focused) return;
    if (hasExamples) setOpen(true);
    row.current?.scrollIntoView({ block: 'center' });
    row.current?.querySelector('button')?.focus({ preventScroll: true });
  }, [focused, hasExamples]);
  return (
    <li ref={row} className={`check-row check-${result.status}`} data-check-id={result.id} data-status={result.status} data-focused={focused ? 'true' : undefined}>
      <button type="button" className="check-toggle" aria-expanded={open} disabled={!hasExamples} onClick={() => setOpen((o) => !o)}>
        <span className="check-mark" role="img" aria-label={label}>
          {mark}
        </span>
        <span className="check-text">
          <span className="check-title">{result.title}</span>
          <span className="check-message">{result.status === 'error' ? `could not run: ${result.message}` : result.message}</span>
          <span className="muted small">
            {result.observed === null ? '' : `observed ${typeof result.observed === 'number' ? result.observed.toLocaleString() : result.observed} · `}
            {result.expected ? `expected ${result.expected}` : ''}
            {result.owner ? ` · owner ${result.owner}` : ''}
          </span>
        </span>
        {hasExamples && <span className="muted small check-caret">{open ? '▾' : '▸'}</span>}
      </button>
      {proposal && deps && <FixButton key={proposal.correction.id} proposal={proposal} deps={deps} />}
      {open && hasExamples && <ExamplesTable examples={result.examples} />}
    </li>
  );
}

function ExamplesTable({ examples }: { examples: Example[] }) {
  const columns = [...new Set(examples.flatMap((e) => Object.keys(e)))];
  return (
    <table className="data-table check-examples">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {examples.map((example, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c}>{formatScalar(example[c] ?? null)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function formatScalar(value: Example[string] | null): string {
  if (value === null) return '∅';
  // Examples hold keys (order ids) as often as counts: digits as they are, no grouping.
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((v) => formatScalar(v)).join(', ');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k} ${formatScalar(v)}`).join(', ');
  return String(value);
}

/** A warning on a panel that a failing check guards, naming the check. */
export function CheckBadge({ panelId }: { panelId: string }) {
  const guards = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.checks);
  const results = useStore((s) => s.checks?.results);
  const focusCheck = useStore((s) => s.focusCheck);
  const failing = (results ?? []).filter((r) => r.status === 'fail' && guards?.some((c) => c.id === r.id && c.guards.includes(panelId)));
  if (failing.length === 0) return null;
  return (
    <div className="check-badges">
      {failing.map((r) => (
        <span
          key={r.id}
          className="check-badge"
          data-testid="check-badge"
          title={r.message}
          role="button"
          tabIndex={0}
          style={{ cursor: 'pointer' }}
          onClick={() => focusCheck(r.id)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              focusCheck(r.id);
            }
          }}
        >
          ⚠ {r.title}
        </span>
      ))}
    </div>
  );
}
