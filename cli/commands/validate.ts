import { loadDashboardFile, parseArgs, problemLine, UsageError, type Command } from './command';

export const validateCommand: Command = {
  name: 'validate',
  synopsis: 'validate FILE...',
  summary: 'Check dashboard files; print one line per problem.',
  details: [
    'Prints `FILE: <json path>: <message>` for each problem and `FILE: <path>: warning: <message>` for',
    'each warning; a valid file prints nothing. Exit 0 when every file is valid (warnings do not count),',
    '1 when any file is invalid or cannot be read.',
  ].join('\n'),
  async run(args, io) {
    const { positionals: files } = parseArgs(args, []);
    if (files.length === 0) throw new UsageError('validate needs at least one FILE');
    let exitCode = 0;
    for (const file of files) {
      const loaded = await loadDashboardFile(file);
      if (loaded.ok) {
        for (const warning of loaded.warnings) io.stdout(problemLine(file, warning, true));
      } else {
        exitCode = 1;
        for (const problem of loaded.problems) io.stdout(problemLine(file, problem));
      }
    }
    return exitCode;
  },
};
