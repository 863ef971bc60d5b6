// `northstar`: the command-line side of Northstar, for scripts and CI. Run through northstar.mjs.
// Contract: exit 0 success, 1 a file is invalid or cannot be loaded, 2 usage error; errors go to
// stderr as `northstar: <message>`, never as a stack trace.
import { readFileSync } from 'node:fs';
import { UsageError, type Command, type CommandIo } from './commands/command';
import { checkCommand } from './commands/check';
import { diffCommand } from './commands/diff';
import { inspectCommand } from './commands/inspect';
import { migrateCommand } from './commands/migrate';
import { runCommand } from './commands/run';
import { scanCommand } from './commands/scan';
import { validateCommand } from './commands/validate';

// New commands (run, check, scan, inspect) are a file each under commands/, added here.
const COMMANDS: readonly Command[] = [validateCommand, diffCommand, migrateCommand, runCommand, checkCommand, scanCommand, inspectCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.synopsis.length), 'help [COMMAND]'.length) + 2;
  const row = (left: string, right: string) => `  ${left.padEnd(width)}${right}`;
  return [
    'Usage: northstar <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => row(c.synopsis, c.summary)),
    row('help [COMMAND]', 'Show this help, or the help of a command.'),
    '',
    'Options:',
    row('-h, --help', 'Show help.'),
    row('-V, --version', 'Print the version.'),
    '',
    'Exit codes: 0 success, 1 a file is invalid or cannot be loaded (for run: or a panel fails), 2 usage error.',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return `Usage: northstar ${command.synopsis}\n\n${command.summary}\n${command.details}\n`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return `northstar ${typeof pkg.version === 'string' ? pkg.version : 'unknown'}\n`;
}

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h';

/** Run one command line; resolves to the exit code and never throws. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined) throw new UsageError('no command given');
    if (isHelpFlag(name) || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      const target = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
      if (topic !== undefined && !target) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
      io.stdout(target ? commandHelp(target) : usage());
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout(version());
      return 0;
    }
    if (name.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(name)}`);
    command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    const endOfOptions = rest.indexOf('--');
    if ((endOfOptions === -1 ? rest : rest.slice(0, endOfOptions)).some(isHelpFlag)) {
      io.stdout(commandHelp(command));
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`northstar: ${message}\n`);
    if (err instanceof UsageError) {
      io.stderr(`\n${command ? commandHelp(command) : usage()}`);
      return 2;
    }
    if (process.env.NORTHSTAR_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return 1;
  }
}

// `northstar ... | head` closes stdout early: that is not an error worth a message.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') return;
  process.stderr.write(`northstar: ${err.message}\n`);
  process.exitCode = 1;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
