import { diffDashboards, formatDiff, summarizeDiff } from '../../dashboards/diff';
import { loadDashboardFile, parseArgs, printable, problemLine, UsageError, type Command } from './command';

export const diffCommand: Command = {
  name: 'diff',
  synopsis: 'diff OLD NEW [--json]',
  summary: 'Show what changed between two dashboard files.',
  details: [
    'Compares panels, layout, sources, datasets, filters, checks, corrections and the title, description,',
    'owner and time range; key order and the revision block are ignored. Text output starts with a one-line',
    'summary; --json prints { "summary": string, "changes": [...] }. Exit 0 whether or not the files',
    'differ, 1 when a file cannot be loaded. Load warnings go to stderr.',
  ].join('\n'),
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, ['--json']);
    if (positionals.length !== 2) throw new UsageError('diff needs exactly two files: OLD NEW');
    const [oldFile, newFile] = positionals as [string, string];
    // Load both before giving up, so one run reports every unreadable file.
    const [before, after] = await Promise.all([loadDashboardFile(oldFile), loadDashboardFile(newFile)]);
    for (const [file, loaded] of [[oldFile, before], [newFile, after]] as const) {
      if (!loaded.ok) for (const problem of loaded.problems) io.stderr(problemLine(file, problem));
    }
    if (!before.ok || !after.ok) return 1;
    // A repaired file (a dropped panel) diffs as what the app would show: say so.
    for (const [file, loaded] of [[oldFile, before], [newFile, after]] as const) {
      for (const warning of loaded.warnings) io.stderr(problemLine(file, warning, true));
    }
    const diff = diffDashboards(before.dashboard, after.dashboard);
    if (flags.has('--json')) {
      io.stdout(`${JSON.stringify({ summary: summarizeDiff(diff), changes: diff.changes }, null, 2)}\n`);
    } else {
      io.stdout(formatDiff(diff).split('\n').map(printable).join('\n'));
    }
    return 0;
  },
};
