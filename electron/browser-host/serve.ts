// `npm run serve`: the Northstar app in your browser, on 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APP_ROOT } from '../services/host-services';
import { startBrowserHost } from './server';

async function main() {
  const { values, positionals } = parseArgs({
    options: { port: { type: 'string' }, dashboard: { type: 'string' } },
    allowPositionals: true,
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Northstar: --port must be a port number, not "${values.port}".`);
    process.exit(2);
  }
  const dashboard = values.dashboard ?? positionals[0];
  const pkg = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  const host = await startBrowserHost({ port, dashboardPath: dashboard ? path.resolve(dashboard) : undefined, appVersion: pkg.version });
  console.log(`Northstar is running. Open this URL in your browser (it carries this session's token):\n\n  ${host.url}\n\nPress Ctrl+C to stop.`);
  const stop = () => {
    void host.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`Northstar: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
