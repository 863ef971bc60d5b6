// Column autocomplete before any dataset has read a source: describeSources links the source
// through the real host services and data gateway and describes it in the pinned engine (its Node
// build), through the same readable form the runner uses, so a JSON source and a Windows-1252 CSV
// list their columns too. (A UTF-8 CSV is left to the engine's own reader over HTTP, which the Node
// build does not have: the e2e specs cover it in the browser.)
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../../cli/engine-node';
import { loadDashboard } from '../../../dashboards/document';
import demoJson from '../../../dashboards/examples/customer-kpis.dashboard.json';
import type { DashboardFile, Source } from '../../../dashboards/schema';
import { createHostServices } from '../../../electron/services/host-services';
import { DataGateway } from '../../../electron/services/data-gateway';
import { Engine } from '../../../queries/engine/engine';
import { Sql, ident } from '../../../queries/sql';
import type { Store } from '../store';
import { describeSources } from './dataset-actions';

let dir: string;
let gateway: DataGateway;
let boot: NodeEngineBootstrap;
let engine: Engine;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'northstar-describe-'));
  await fs.writeFile(path.join(dir, 'sales.json'), '{"city": "Köln", "n": 2, "at": "2025-01-01T10:00:00Z"}\n{"city": "Zürich", "n": 3.5}\n');
  await fs.writeFile(path.join(dir, 'shops.csv'), Buffer.from('shop,staff\nCaf\xe9 Ren\xe9,4\nB\xe4ckerei,12\n', 'latin1'));
  gateway = await DataGateway.start();
  boot = nodeBootstrap();
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
  await gateway?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The app's engine as the drawer gets it; the Node build reads only registered names it was told about (as the CLI does). */
function appEngine(): Engine {
  return Object.assign(Object.create(engine) as Engine, {
    exec: (sql: Sql) => engine.exec(sql),
    describe: (table: string) => engine.describe(table),
    insertArrow: (name: string, ipc: Uint8Array) => engine.insertArrow(name, ipc),
    registerFile: async (name: string, bytes: Uint8Array) => {
      boot.allowReading([name]);
      await engine.registerFile(name, bytes);
    },
  });
}

describe('describeSources before any load', () => {
  it('lists the columns of a JSON source and a Windows-1252 CSV, and leaves out a missing file', async () => {
    const host = createHostServices({ host: 'browser', appVersion: 't', gateway, homeDir: path.join(dir, 'home'), gatewayCacheDir: null, resultStoreDir: null });
    const draft = await host.startDraftDashboard({ dataPath: path.join(dir, 'sales.json'), stem: 'sales' });
    const loaded = loadDashboard(JSON.stringify(demoJson));
    if (!loaded.ok) throw new Error(loaded.error.message);
    const sources: Source[] = [
      { name: 'sales', kind: 'file', path: 'sales.json', format: 'json' },
      { name: 'shops', kind: 'file', path: 'shops.csv', format: 'csv' },
      { name: 'gone', kind: 'file', path: 'gone.csv', format: 'csv' },
    ];
    const dashboard: DashboardFile = { ...loaded.dashboard, sources };
    const store = { getState: () => ({ dashboard, path: draft.path }) as Store };
    const columns = await describeSources({ engine: async () => appEngine(), host, store }, sources.map((s) => s.name));
    expect(columns).toEqual({
      sales: [
        { name: 'city', type: 'VARCHAR' },
        { name: 'n', type: 'DOUBLE' },
        { name: 'at', type: 'TIMESTAMP' },
      ],
      shops: [
        { name: 'shop', type: 'VARCHAR' },
        { name: 'staff', type: 'BIGINT' },
      ],
      // A file that is not there is left out; the Data sources dialog says why.
    });
    // The views read what the runner's would: the converted text, the parsed JSON.
    const rows = await engine.query(Sql.concat('SELECT shop FROM ', ident('shops'), ' ORDER BY staff'));
    expect(rows.rows).toEqual([{ shop: 'Café René' }, { shop: 'Bäckerei' }]);
  }, 60_000);
});
