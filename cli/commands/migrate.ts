import { realpath } from 'node:fs/promises';
import { serializeDashboard } from '../../dashboards/document';
import { writeFileAtomic } from '../../electron/services/atomic-write';
import { loadDashboardFile, parseArgs, printable, problemLine, UsageError, type Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  synopsis: 'migrate FILE [--write [--force]]',
  summary: 'Upgrade a file to the current schema version.',
  details: [
    'Prints the migrated file, deterministically serialized, to stdout. With --write, replaces the file',
    'atomically instead and prints `FILE: migrated from vN to vM` (or `FILE: already at vM`, leaving the',
    'file untouched). Warnings go to stderr; a file that only opens with repairs (dropped panels...) is',
    'not written unless --force is given. Exit 1 when the file cannot be loaded or was not written.',
  ].join('\n'),
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, ['--write', '--force']);
    if (positionals.length !== 1) throw new UsageError('migrate needs exactly one FILE');
    if (flags.has('--force') && !flags.has('--write')) throw new UsageError('--force only goes with --write');
    const file = positionals[0] as string;
    const loaded = await loadDashboardFile(file);
    if (!loaded.ok) {
      for (const problem of loaded.problems) io.stderr(problemLine(file, problem));
      return 1;
    }
    for (const warning of loaded.warnings) io.stderr(problemLine(file, warning, true));
    const version = loaded.dashboard.schemaVersion;
    if (!flags.has('--write')) {
      io.stdout(serializeDashboard(loaded.dashboard));
      return 0;
    }
    if (loaded.migratedFrom === null) {
      io.stdout(`${printable(file)}: already at v${version}\n`);
      return 0;
    }
    // Warnings mean the loader dropped or repaired parts of the file to open it; writing that back
    // would silently destroy what the author can still fix by hand.
    if (loaded.warnings.length > 0 && !flags.has('--force')) {
      io.stderr(`northstar: ${printable(file)} was not written: loading it dropped or repaired content (warnings above); fix the file, or pass --force to write the repaired version\n`);
      return 1;
    }
    // Write through a symlink to its target rather than replacing the link with a plain file.
    await writeFileAtomic(await realpath(file), serializeDashboard(loaded.dashboard));
    io.stdout(`${printable(file)}: migrated from v${loaded.migratedFrom} to v${version}\n`);
    return 0;
  },
};
