// Sources as local paths for the headless commands (run, check): the CLI reads local files only.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Source } from '../dashboards/schema';
import { SourceUnavailable, type LinkedSource } from '../queries/dashboard-runner';

/** A source as a local path DuckDB can open, or a SourceUnavailable that names the source and the path. */
export async function linkLocalSource(source: Source, dashboardDir: string, rebound: string | undefined): Promise<LinkedSource> {
  const name = JSON.stringify(source.name);
  if (rebound !== undefined) return checkedFile(name, path.resolve(rebound), ' (from --source)');
  switch (source.kind) {
    case 'file':
      return checkedFile(name, path.resolve(dashboardDir, source.path), '');
    case 's3':
      throw new SourceUnavailable(
        `Data source ${name} is in S3 (${source.uri}), and the headless runner reads local files only: rebind it to a local copy with --source ${source.name}=PATH.`,
        'not a local file',
      );
    case 'url':
      throw new SourceUnavailable(
        `Data source ${name} is a URL (${source.url}), and the headless runner reads local files only: rebind it to a local copy with --source ${source.name}=PATH.`,
        'not a local file',
      );
  }
}

async function checkedFile(name: string, file: string, how: string): Promise<LinkedSource> {
  // A glob (data/*.parquet) is DuckDB's to expand; it reports a pattern that matches nothing.
  if (!/[*?[]/.test(file)) {
    let info;
    try {
      info = await stat(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
      throw new SourceUnavailable(`Data source ${name}: cannot read ${file}${how}: ${why}.`, code === 'ENOENT' ? 'not found' : 'unreadable');
    }
    if (!info.isFile()) throw new SourceUnavailable(`Data source ${name}: ${file}${how} is not a file.`, 'not a file');
  }
  return { urls: [file], location: file };
}
