// "Scan for problems": every applicable check rule with its defaults on one loaded dataset, in the
// app's engine (the same scan as `northstar scan`), then the findings as proposed checks to pin.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Check, Dataset } from '../../../dashboards/schema';
import { datasetTable } from '../../../queries/dashboard-runner';
import { ScanCancelled, scanDataset, type ScanFinding, type ScanResult } from '../../../queries/checks/scan';
import { checkFromFinding, pinChecks, type CheckProposal } from '../actions/check-actions';
import { getEngine } from '../engine';
import { useStore } from '../store';
import './checks-authoring.css';

type Phase = { kind: 'running'; step: string; done: number } | { kind: 'done'; result: ScanResult } | { kind: 'cancelled' } | { kind: 'error'; message: string };

interface Proposed {
  finding: ScanFinding;
  proposal: CheckProposal;
  /** An existing check of the same rule and column on this dataset already watches it. */
  watchedBy: string | null;
}

/** The column a check watches (its column or key param), to tell a finding already watched. */
function watchedColumn(check: Check): string | null {
  const { column, key } = check.params;
  return typeof column === 'string' ? column : typeof key === 'string' ? key : null;
}

const RULE_LABELS: Record<string, string> = {
  duplicate_key: 'Repeated keys',
  near_duplicate_values: 'Look-alike values',
  unexpected_values: 'New values',
  null_rate: 'Spike of missing values',
  range: 'Values out of range',
  volume: 'Rows per day',
  total_jump: 'Daily total',
  freshness: 'Freshness',
};

export function ScanDialog({ dataset, onClose }: { dataset: Dataset; onClose: () => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const loaded = useStore((s) => s.datasets[dataset.name]);
  const setNotice = useStore((s) => s.setNotice);
  const [phase, setPhase] = useState<Phase>({ kind: 'running', step: 'starting', done: 0 });
  const [attempt, setAttempt] = useState(0);
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [addPanel, setAddPanel] = useState(true);
  const [pinning, setPinning] = useState(false);
  const [pinError, setPinError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  // Keyboard focus starts in the dialog, so Escape closes it and Tab stays near it.
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => box.current?.focus(), []);
  const ready = loaded?.status === 'ready';

  useEffect(() => {
    if (!ready) {
      const why =
        loaded === undefined
          ? 'it is not loaded'
          : loaded.status === 'error'
            ? `it could not be loaded: ${loaded.message}`
            : loaded.status === 'needsTrust'
              ? 'its SQL runs only once you trust the file'
              : 'it is still loading or was cancelled; run the dashboard again first';
      setPhase({ kind: 'error', message: `Dataset “${dataset.label ?? dataset.name}” cannot be scanned: ${why}.` });
      return;
    }
    const abort = new AbortController();
    controller.current = abort;
    setPhase({ kind: 'running', step: 'starting', done: 0 });
    setPicked(new Set());
    // Only the latest scan may speak: an aborted one (closed, restarted) stays silent.
    const current = () => controller.current === abort;
    void (async () => {
      try {
        const engine = await getEngine();
        // The dataset's time column when the loaded table has it; else the scan infers one (and says so).
        const time = dataset.timeColumn && loaded.columns.some((c) => c.name === dataset.timeColumn) ? dataset.timeColumn : undefined;
        const result = await scanDataset(engine, datasetTable(dataset), {
          ...(time ? { time } : {}),
          signal: abort.signal,
          onStep: (step, done) => {
            if (!abort.signal.aborted && current()) setPhase({ kind: 'running', step, done });
          },
        });
        if (!abort.signal.aborted && current()) setPhase({ kind: 'done', result });
      } catch (err) {
        if (!current()) return;
        if (err instanceof ScanCancelled) setPhase({ kind: 'cancelled' });
        else if (!abort.signal.aborted) setPhase({ kind: 'error', message: `The scan failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    })();
    // Closing the dialog stops the scan at its next query.
    return () => abort.abort();
    // `loaded` changes identity on every run; the scan restarts only when asked (attempt) or readiness changes.
  }, [dataset, ready, attempt]);

  // The button pressed (Cancel, Scan again) goes away with the phase: keep the focus in the dialog.
  // In a layout effect, in the same task as the change: a passive effect ran after the next paint,
  // and an Escape pressed in between reached no dialog (a CI run under load caught it).
  useLayoutEffect(() => {
    if (!box.current?.contains(document.activeElement)) box.current?.focus();
  }, [phase.kind]);

  const proposed: Proposed[] = useMemo(() => {
    if (phase.kind !== 'done' || !dashboard) return [];
    const taken: string[] = [];
    return phase.result.findings.map((finding) => {
      const proposal = checkFromFinding(dashboard, dataset, finding, phase.result.inferred.time, taken);
      if (proposal.ok) taken.push(proposal.check.id);
      const existing = dashboard.checks.find((c) => c.dataset === dataset.name && c.rule === finding.rule && (finding.rule === 'volume' || watchedColumn(c) === finding.column));
      return { finding, proposal, watchedBy: existing?.id ?? null };
    });
  }, [phase, dashboard, dataset]);

  const chosen = proposed.flatMap((p, i) => (picked.has(i) && p.proposal.ok && !p.watchedBy ? [p.proposal.check] : []));
  const hasAnomalyPanel = dashboard?.panels.some((p) => p.kind === 'anomaly') ?? false;

  const toggle = (i: number) =>
    setPicked((old) => {
      const next = new Set(old);
      if (next.has(i)) next.delete(i);
      else next.add(i);
      return next;
    });

  const pin = async () => {
    setPinning(true);
    setPinError(null);
    try {
      await pinChecks({ engine: getEngine, store: useStore }, chosen, !hasAnomalyPanel && addPanel);
      setNotice({ tone: 'info', text: `Pinned ${chosen.length} ${chosen.length === 1 ? 'check' : 'checks'} from the scan of “${dataset.label ?? dataset.name}”.` });
      onClose();
    } catch (err) {
      setPinError(`Could not pin the checks: ${err instanceof Error ? err.message : String(err)}`);
      setPinning(false);
    }
  };

  const close = () => {
    controller.current?.abort();
    onClose();
  };

  return (
    <div
      className="dialog-backdrop checks-dialog-backdrop"
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        // The datasets drawer behind closes on Escape too: this one is for the dialog only.
        e.preventDefault();
        e.stopPropagation();
        if (!pinning) close();
      }}
    >
      <div className="dialog wide scan-dialog" role="dialog" aria-modal="true" ref={box} tabIndex={-1} aria-labelledby="scan-title" data-testid="scan-dialog">
        <header className="dialog-header">
          <h2 id="scan-title">Scan “{dataset.label ?? dataset.name}” for problems</h2>
          <button type="button" className="ghost" onClick={close} aria-label="Close" disabled={pinning}>
            ✕
          </button>
        </header>
        <p className="muted small">Every check rule that applies, with its defaults, on the rows loaded now: the same scan as <code>northstar scan</code>. Tick what should be checked from now on.</p>

        {phase.kind === 'running' && (
          <div className="scan-progress" role="status" data-testid="scan-progress">
            <progress aria-label="Scan progress" />
            <span className="small">
              Step {phase.done + 1}: {phase.step}…
            </span>
            <button type="button" onClick={() => controller.current?.abort()}>
              Cancel
            </button>
          </div>
        )}
        {phase.kind === 'cancelled' && (
          <div className="scan-progress" role="status" data-testid="scan-cancelled">
            <span>Scan cancelled.</span>
            <button type="button" onClick={() => setAttempt((a) => a + 1)}>
              Scan again
            </button>
          </div>
        )}
        {phase.kind === 'error' && (
          <div className="form-error" role="alert" data-testid="scan-error">
            {phase.message}
            {ready && (
              <button type="button" onClick={() => setAttempt((a) => a + 1)}>
                Try again
              </button>
            )}
          </div>
        )}
        {phase.kind === 'done' && (
          <>
            <p role="status" data-testid="scan-summary">
              {summary(phase.result)}
            </p>
            <ul className="scan-findings">
              {proposed.map((p, i) => (
                <ScanFindingRow key={i} item={p} checked={picked.has(i)} onToggle={() => toggle(i)} disabled={pinning} />
              ))}
            </ul>
            {phase.result.notes.length > 0 && (
              <details className="small">
                <summary>What the scan chose and could not judge ({phase.result.notes.length})</summary>
                <ul className="scan-notes">
                  {phase.result.notes.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              </details>
            )}
            {!hasAnomalyPanel && proposed.length > 0 && (
              <label className="check small">
                <input type="checkbox" checked={addPanel} onChange={(e) => setAddPanel(e.target.checked)} /> This dashboard has no anomaly panel: add one to show the checks’ results
              </label>
            )}
            {pinError && (
              <div className="form-error" role="alert">
                {pinError}
              </div>
            )}
            <div className="dialog-actions">
              <button type="button" className="primary" disabled={chosen.length === 0 || pinning} onClick={() => void pin()}>
                {pinning ? 'Pinning…' : `Pin ${chosen.length} ${chosen.length === 1 ? 'check' : 'checks'}`}
              </button>
              <button type="button" onClick={close} disabled={pinning}>
                Close
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}

function summary(result: ScanResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const rows = `${result.rows.toLocaleString('en-US')} rows`;
  if (result.findings.length === 0) return `No problem found in ${rows}.`;
  return `${result.findings.length} ${result.findings.length === 1 ? 'finding' : 'findings'} in ${rows} (${errors} ${errors === 1 ? 'error' : 'errors'}, ${result.findings.length - errors} ${result.findings.length - errors === 1 ? 'warning' : 'warnings'}).`;
}

function ScanFindingRow({ item, checked, onToggle, disabled }: { item: Proposed; checked: boolean; onToggle: () => void; disabled: boolean }) {
  const { finding, proposal, watchedBy } = item;
  const id = `scan-${finding.rule}-${finding.column ?? ''}`;
  const label = `${RULE_LABELS[finding.rule] ?? finding.rule}${finding.column === null ? '' : ` in ${finding.column}`}`;
  const pinnable = proposal.ok && watchedBy === null;
  return (
    <li className="scan-finding" data-rule={finding.rule} data-column={finding.column ?? ''} data-severity={finding.severity}>
      <input id={id} type="checkbox" checked={pinnable && checked} disabled={!pinnable || disabled} onChange={onToggle} aria-describedby={`${id}-detail`} />
      <span className={`scan-severity ${finding.severity}`}>{finding.severity}</span>
      <span className="scan-finding-text">
        <label htmlFor={id} className="scan-finding-title">
          {label}
        </label>
        <span className="small" id={`${id}-detail`}>
          {finding.detail}
        </span>
        <span className="muted small">
          {watchedBy !== null
            ? `Already checked by “${watchedBy}”.`
            : proposal.ok
              ? `Pins “${proposal.check.title}” (${proposal.check.rule}, ${proposal.check.severity}).`
              : `Cannot be pinned: ${proposal.reason}.`}
        </span>
      </span>
    </li>
  );
}
