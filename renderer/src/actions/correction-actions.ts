// Corrections in the app: a finding offers its fix, the user confirms it with a reason and their
// name, and the fix becomes part of the document (one undoable edit) that every panel and check
// reads through the dataset's corrected view. Pure document changes first, then the store actions.
import { Correction, type Check, type DashboardFile } from '../../../dashboards/schema';
import { proposeCorrection, type CorrectionProposal } from '../../../queries/corrections';
import type { CheckResult } from '../../../queries/checks/index';
import type { ActionDeps } from './dashboard-actions';
import { runDashboard } from './dashboard-actions';

/** A correction the user cannot add as given: the message says what to change. */
export class CorrectionInputError extends Error {
  override readonly name = 'CorrectionInputError';
}

/** The proposals of the failing findings, by check id (checks whose finding has no fix are left out). */
export function proposalsByCheck(dashboard: DashboardFile, results: readonly CheckResult[]): Map<string, CorrectionProposal> {
  const proposals = new Map<string, CorrectionProposal>();
  for (const result of results) {
    const check = dashboard.checks.find((c: Check) => c.id === result.id);
    if (!check) continue;
    const proposal = proposeCorrection(check, result, dashboard.corrections);
    if (proposal) proposals.set(check.id, proposal);
  }
  return proposals;
}

/** The dashboard with one more correction (applied after the others); refuses a blank reason or author or a used id. */
export function addCorrection(dashboard: DashboardFile, proposed: Omit<Correction, 'author' | 'reason'>, input: { reason: string; author: string }): DashboardFile {
  const reason = input.reason.trim();
  const author = input.author.trim();
  if (reason === '') throw new CorrectionInputError('Say why this correction is right: the reason travels with the file.');
  if (author === '') throw new CorrectionInputError('Give your name: every correction says who made it.');
  if (dashboard.corrections.some((c) => c.id === proposed.id)) throw new CorrectionInputError(`A correction named "${proposed.id}" already exists.`);
  if (!dashboard.datasets.some((d) => d.name === proposed.dataset)) throw new CorrectionInputError(`The dashboard has no dataset "${proposed.dataset}".`);
  const parsed = Correction.safeParse({ ...proposed, reason, author });
  if (!parsed.success) throw new CorrectionInputError(`This correction cannot be saved: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'correction'}: ${i.message}`).join('; ')}`);
  return { ...dashboard, corrections: [...dashboard.corrections, parsed.data] };
}

/** The dashboard without the correction `id` (the same object when there is none). */
export function removeCorrection(dashboard: DashboardFile, id: string): DashboardFile {
  return dashboard.corrections.some((c) => c.id === id) ? { ...dashboard, corrections: dashboard.corrections.filter((c) => c.id !== id) } : dashboard;
}

/** One line saying what a correction does, for the list: "campaign: `Blak Friday` → `Black Friday`". */
export function describeCorrection(c: Correction): string {
  const p = c.params;
  const show = (v: unknown) => (typeof v === 'string' ? `\`${v}\`` : v === null ? 'empty' : String(v));
  switch (c.kind) {
    case 'map_value': {
      const mappings = Array.isArray(p.mappings) ? (p.mappings as { from: unknown; to: unknown }[]) : [{ from: p.from, to: p.to }];
      const shown = mappings.slice(0, 3).map((m) => `${show(m.from)} → ${show(m.to)}`);
      return `${String(p.column)}: ${shown.join(', ')}${mappings.length > 3 ? `, and ${mappings.length - 3} more` : ''}`;
    }
    case 'exclude_rows': {
      const key = Array.isArray(p.key) ? `(${p.key.join(', ')})` : String(p.key);
      if (p.duplicates === 'keep_one') return `one row per ${key}: duplicate rows dropped`;
      const values = Array.isArray(p.values) ? p.values : [];
      return `rows dropped where ${key} is ${values.slice(0, 3).map(show).join(', ')}${values.length > 3 ? `, and ${values.length - 3} more` : ''}`;
    }
    case 'override':
      return `${String(p.column)} set to ${show(p.value)} where ${String(p.key)} is ${show(p.keyValue)}`;
  }
}

/** Add a proposed correction as one undoable edit, then run the dashboard on the corrected data. */
export async function applyCorrection(deps: ActionDeps, proposed: Omit<Correction, 'author' | 'reason'>, input: { reason: string; author: string }): Promise<void> {
  // Validate first, so a refused input changes nothing (the edit below cannot throw then).
  const state = deps.store.getState();
  if (!state.dashboard) return;
  addCorrection(state.dashboard, proposed, input);
  state.edit((d) => addCorrection(d, proposed, input));
  await runDashboard(deps);
}

/** Remove a correction (undoable) and run the dashboard again. */
export async function deleteCorrection(deps: ActionDeps, id: string): Promise<void> {
  deps.store.getState().edit((d) => removeCorrection(d, id));
  await runDashboard(deps);
}

/** Switch every panel between corrected and raw data. Not part of the document: nothing to save or undo. */
export async function showRawData(deps: ActionDeps, raw: boolean): Promise<void> {
  if (deps.store.getState().showRaw === raw) return;
  deps.store.getState().setShowRaw(raw);
  await runDashboard(deps);
}
