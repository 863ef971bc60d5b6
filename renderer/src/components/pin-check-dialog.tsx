// "Watch this measure for jumps" and "Watch a column for misspellings…" from a panel's menu: the
// proposed check (id, title, severity, owner) is editable here before it is added to the file.
import { useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ChartPanel, Check, Dataset, KpiPanel } from '../../../dashboards/schema';
import { pinChecks, proposeJumpCheck, proposeSpellingCheck, spellingColumns, type CheckProposal } from '../actions/check-actions';
import { getEngine } from '../engine';
import { useStore } from '../store';
import './checks-authoring.css';

export type PinKind = 'jump' | 'spelling';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a check as edited cannot be added, or null when it can. */
export function checkProblem(check: Check, taken: readonly string[]): string | null {
  if (!NAME.test(check.id) || check.id.length > 64) return 'The id must start with a letter or _ and hold only letters, digits and _ (64 at most).';
  if (taken.includes(check.id)) return `A check "${check.id}" already exists: choose another id.`;
  if (check.title.trim() === '') return 'Give the check a title: it is what the anomaly panel shows.';
  if (check.title.length > 300) return 'The title is too long (300 characters at most).';
  if ((check.owner ?? '').length > 200) return 'The owner is too long (200 characters at most).';
  return null;
}

/** What a check watches, in words, for the dialog. */
function describeRule(check: Check): string {
  const column = typeof check.params.column === 'string' ? check.params.column : '';
  switch (check.rule) {
    case 'total_jump':
      return `total_jump: the daily sum of ${column} against a band from the same weekday of the 8 weeks before`;
    case 'volume':
      return 'volume: the rows per day against a band from the same weekday of the 8 weeks before';
    case 'near_duplicate_values':
      return `near_duplicate_values: rare ${column} values that look like misspellings of a frequent one`;
    default:
      return check.rule;
  }
}

export function PinCheckDialog({ kind, panel, dataset, onClose }: { kind: PinKind; panel: KpiPanel | ChartPanel; dataset: Dataset; onClose: () => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const loaded = useStore((s) => s.datasets[dataset.name]);
  const setNotice = useStore((s) => s.setNotice);
  const columnTypes = useMemo(() => (loaded?.status === 'ready' ? new Map(loaded.columns.map((c) => [c.name, c.type])) : null), [loaded]);
  const choices = useMemo(() => spellingColumns(dataset, columnTypes), [dataset, columnTypes]);
  const [dimension, setDimension] = useState(choices[0]?.name ?? '');
  const proposal: CheckProposal | null = useMemo(() => {
    if (!dashboard) return null;
    if (kind === 'jump') return proposeJumpCheck(dashboard, panel, dataset);
    if (choices.length === 0) return { ok: false, reason: `dataset "${dataset.name}" has no text dimension to watch` };
    return proposeSpellingCheck(dashboard, panel, dataset, dimension);
  }, [dashboard, kind, panel, dataset, dimension, choices]);
  // The user's edits, kept when the proposal changes with the column picked (except id and title, which follow it).
  const [edits, setEdits] = useState<{ severity?: Check['severity']; owner?: string; id?: string; title?: string }>({});
  const hasAnomalyPanel = dashboard?.panels.some((p) => p.kind === 'anomaly') ?? false;
  const [addPanel, setAddPanel] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Keyboard focus starts in the dialog (Escape closes it), unless a field took it already: in a
  // layout effect, so an Escape pressed right after the dialog appears already reaches it.
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (!box.current?.contains(document.activeElement)) box.current?.focus();
  }, []);

  const owner = (edits.owner ?? (proposal?.ok ? proposal.check.owner : undefined) ?? '').trim();
  let check: Check | null = null;
  if (proposal?.ok) {
    const { owner: _proposed, ...rest } = proposal.check;
    void _proposed;
    // An empty owner is left out of the file rather than written as "".
    check = { ...rest, id: edits.id ?? rest.id, title: edits.title ?? rest.title, severity: edits.severity ?? rest.severity, ...(owner ? { owner } : {}) };
  }
  const problem = check ? checkProblem(check, dashboard?.checks.map((c) => c.id) ?? []) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!check || problem) return;
    setBusy(true);
    setError(null);
    try {
      await pinChecks({ engine: getEngine, store: useStore }, [check], !hasAnomalyPanel && addPanel);
      setNotice({ tone: 'info', text: `Added the check "${check.title}"; the data checks ran again.` });
      onClose();
    } catch (err) {
      setError(`Could not add the check: ${err instanceof Error ? err.message : String(err)}`);
      setBusy(false);
    }
  };

  const title = kind === 'jump' ? 'Watch this measure for jumps' : 'Watch a column for misspellings';
  return (
    <div className="dialog-backdrop checks-dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onClose()}>
      <div className="dialog pin-check-dialog" role="dialog" aria-modal="true" ref={box} tabIndex={-1} aria-labelledby="pin-check-title" data-testid="pin-check-dialog">
        <header className="dialog-header">
          <h2 id="pin-check-title">{title}</h2>
          <button type="button" className="ghost" onClick={onClose} aria-label="Close" disabled={busy}>
            ✕
          </button>
        </header>
        <p className="muted small">
          A data check on dataset “{dataset.label ?? dataset.name}”, guarding “{panel.title}”. It is saved in the dashboard file and runs every time the data loads.
        </p>
        {proposal && !proposal.ok && (
          <div className="form-error" role="alert" data-testid="pin-check-error">
            No check can be proposed: {proposal.reason}.
          </div>
        )}
        <form className="source-form" aria-label={title} onSubmit={(e) => void submit(e)}>
          {kind === 'spelling' && choices.length > 0 && (
            <label>
              Column
              <select value={dimension} onChange={(e) => setDimension(e.target.value)} autoFocus>
                {choices.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.label ?? d.name} ({d.column})
                  </option>
                ))}
              </select>
            </label>
          )}
          {check && (
            <>
              <p className="small pin-check-rule" data-testid="pin-check-rule">
                {describeRule(check)}
              </p>
              <div className="row">
                <label>
                  Title
                  <input value={check.title} onChange={(e) => setEdits({ ...edits, title: e.target.value })} autoFocus={kind === 'jump'} />
                </label>
                <label>
                  Id
                  <input value={check.id} onChange={(e) => setEdits({ ...edits, id: e.target.value })} spellCheck={false} />
                </label>
              </div>
              <div className="row">
                <label>
                  Severity
                  <select value={check.severity} onChange={(e) => setEdits({ ...edits, severity: e.target.value as Check['severity'] })}>
                    <option value="warn">warn: shown as a warning</option>
                    <option value="error">error: fails `northstar check` in CI</option>
                  </select>
                </label>
                <label>
                  Owner
                  <input value={edits.owner ?? check.owner ?? ''} onChange={(e) => setEdits({ ...edits, owner: e.target.value })} placeholder="Who to ask about this data" />
                </label>
              </div>
              {!hasAnomalyPanel && (
                <label className="check">
                  <input type="checkbox" checked={addPanel} onChange={(e) => setAddPanel(e.target.checked)} />
                  This dashboard has no anomaly panel: add one to show the check’s results
                </label>
              )}
            </>
          )}
          {problem && (
            <div className="form-error" role="alert" data-testid="pin-check-problem">
              {problem}
            </div>
          )}
          {error && (
            <div className="form-error" role="alert">
              {error}
            </div>
          )}
          <div className="dialog-actions">
            <button type="submit" className="primary" disabled={!check || problem !== null || busy}>
              {busy ? 'Adding…' : 'Add check'}
            </button>
            <button type="button" onClick={onClose} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
