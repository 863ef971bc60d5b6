// Corrections in the UI: the one-click fix a finding offers (confirmed with a reason and a name),
// the list of the file's corrections, and the "Show raw" switch of the top bar. Everything shown is
// text: values come from the data and the file, never read as HTML.
import { useId, useMemo, useState } from 'react';
import type { Correction } from '../../../dashboards/schema';
import type { CorrectionProposal } from '../../../queries/corrections';
import type { ActionDeps } from '../actions/dashboard-actions';
import { applyCorrection, deleteCorrection, describeCorrection, showRawData } from '../actions/correction-actions';
import { useStore, type Store } from '../store';
import './corrections.css';

// The name corrections are signed with, remembered on this machine (the host does not tell us the OS user).
const AUTHOR_KEY = 'northstar.correctionAuthor';

function rememberedAuthor(): string {
  try {
    return window.localStorage.getItem(AUTHOR_KEY) ?? '';
  } catch {
    return '';
  }
}

function rememberAuthor(author: string): void {
  try {
    window.localStorage.setItem(AUTHOR_KEY, author);
  } catch {
    // Storage refused (private mode): the name is simply asked again next time.
  }
}

/** The fix a finding offers: a button, then a short form asking why and who. */
export function FixButton({ proposal, deps }: { proposal: CorrectionProposal; deps: ActionDeps }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" className="fix-offer" data-testid="fix-offer" onClick={() => setOpen(true)}>
        ✎ {proposal.label}
      </button>
    );
  }
  return <ApplyCorrectionForm proposal={proposal} deps={deps} onDone={() => setOpen(false)} />;
}

function ApplyCorrectionForm({ proposal, deps, onDone }: { proposal: CorrectionProposal; deps: ActionDeps; onDone: () => void }) {
  const [reason, setReason] = useState(proposal.correction.reason);
  const [author, setAuthor] = useState(rememberedAuthor);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const { reason: _r, ...proposed } = proposal.correction;
      await applyCorrection(deps, proposed, { reason, author });
      rememberAuthor(author.trim());
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <form
      className="fix-form"
      data-testid="fix-form"
      aria-label={proposal.label}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="fix-what">{proposal.label}</div>
      <label htmlFor={`${id}-reason`}>Reason</label>
      <textarea id={`${id}-reason`} rows={2} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
      <label htmlFor={`${id}-author`}>Your name</label>
      <input id={`${id}-author`} value={author} maxLength={200} placeholder="who makes this correction" onChange={(e) => setAuthor(e.target.value)} />
      {error && (
        <div className="fix-error" role="alert">
          {error}
        </div>
      )}
      <div className="fix-actions">
        <button type="submit" className="primary" disabled={busy}>
          Apply correction
        </button>
        <button type="button" onClick={onDone} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The corrections of the file, each with what it does, why, who made it, and a way to remove it. */
export function CorrectionsList({ deps }: { deps?: ActionDeps }) {
  const viewing = useStore((s) => s.viewing);
  const corrections = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.corrections ?? []);
  const datasets = useStore((s) => s.datasets);
  const problems = useMemo(() => correctionProblems(datasets), [datasets]);
  const showRaw = useStore((s) => s.showRaw);
  if (corrections.length === 0) return null;
  return (
    <section className="corrections" data-testid="corrections" aria-label="Corrections">
      <h3>
        Corrections ({corrections.length}){showRaw ? <span className="muted small"> · off while raw data is shown</span> : null}
      </h3>
      <ul>
        {corrections.map((c) => (
          <CorrectionItem key={c.id} correction={c} problem={problems.get(c.id)} onRemove={deps && !viewing ? () => void deleteCorrection(deps, c.id) : undefined} />
        ))}
      </ul>
    </section>
  );
}

function CorrectionItem({ correction, problem, onRemove }: { correction: Correction; problem?: string; onRemove?: () => void }) {
  return (
    <li className={problem ? 'correction broken' : 'correction'} data-correction-id={correction.id}>
      <div className="correction-main">
        <span className="correction-what">{describeCorrection(correction)}</span>
        <span className="muted small">
          {correction.kind} on {correction.dataset} · by {correction.author || 'unknown'}
        </span>
        {correction.reason && <span className="correction-reason">{correction.reason}</span>}
        {problem && (
          <span className="correction-problem" role="alert">
            Not applied: {problem}
          </span>
        )}
      </div>
      {onRemove && (
        <button type="button" onClick={onRemove} aria-label={`Remove correction ${correction.id}`}>
          Remove
        </button>
      )}
    </li>
  );
}

/** Problems of corrections reported by the datasets of the current run, by correction id. */
function correctionProblems(datasets: Store['datasets']): Map<string, string> {
  const found = new Map<string, string>();
  for (const state of Object.values(datasets)) {
    if (state.status !== 'ready') continue;
    for (const p of state.corrections?.problems ?? []) for (const id of p.id.split(', ')) found.set(id, p.message);
  }
  return found;
}

/** The top bar's switch between corrected and raw data, shown only when the file has corrections. */
export function RawDataToggle({ deps }: { deps: ActionDeps }) {
  const count = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.corrections.length ?? 0);
  const showRaw = useStore((s) => s.showRaw);
  const datasets = useStore((s) => s.datasets);
  const broken = useMemo(() => correctionProblems(datasets), [datasets]);
  if (count === 0) return null;
  return (
    <div className="raw-toggle">
      {showRaw && (
        <span className="chip context" data-testid="raw-notice">
          Showing raw data — {count} {count === 1 ? 'correction' : 'corrections'} off
        </span>
      )}
      {!showRaw && broken.size > 0 && (
        <span className="chip context" data-testid="correction-problems" title={[...broken.values()].join('\n')}>
          ⚠ {broken.size} {broken.size === 1 ? 'correction' : 'corrections'} not applied
        </span>
      )}
      <button type="button" aria-pressed={showRaw} className={showRaw ? 'active' : undefined} onClick={() => void showRawData(deps, !showRaw)} title="Compare with the data as loaded, before the corrections">
        {showRaw ? 'Show corrected' : 'Show raw'}
      </button>
    </div>
  );
}
