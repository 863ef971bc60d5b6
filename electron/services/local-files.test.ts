import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostError } from '../api/host-api';
import { DataGateway } from './data-gateway';
import { createHostServices } from './host-services';
import { checkImportName, dataFormatOf, freeDashboardPath, importDataFile, listDataFolder, MAX_IMPORT_BYTES } from './local-files';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'northstar-local-files-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const errorOf = async (work: Promise<unknown>): Promise<HostError> => {
  try {
    await work;
  } catch (err) {
    if (err instanceof HostError) return err;
    throw err;
  }
  throw new Error('expected a HostError');
};

describe('listDataFolder', () => {
  it('lists folders first, then data files; never hidden entries or other files', async () => {
    await fs.mkdir(path.join(dir, 'sub'));
    await fs.mkdir(path.join(dir, '.git'));
    for (const f of ['b.parquet', 'a.csv', 'c.tsv', 'd.json', 'notes.txt', '.hidden.parquet', 'x.dashboard.json']) await fs.writeFile(path.join(dir, f), 'x');
    await fs.symlink(path.join(dir, 'missing.parquet'), path.join(dir, 'dangling.parquet'));
    const listing = await listDataFolder(dir, []);
    expect(listing.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:sub', 'file:a.csv', 'file:b.parquet', 'file:c.tsv', 'file:d.json']);
    expect(listing.entries.find((e) => e.name === 'c.tsv')?.format).toBe('csv');
    expect(listing.entries.find((e) => e.name === 'b.parquet')?.sizeBytes).toBe(1);
    expect(listing.parent).toBe(path.dirname(dir));
    expect((await listDataFolder('/', [])).parent).toBeNull();
  });

  it('says what is wrong with a missing folder or a file', async () => {
    expect((await errorOf(listDataFolder(path.join(dir, 'nope'), []))).message).toBe(`There is no folder ${path.join(dir, 'nope')}.`);
    await fs.writeFile(path.join(dir, 'f.csv'), 'a');
    expect((await errorOf(listDataFolder(path.join(dir, 'f.csv'), []))).message).toContain('is a file, not a folder');
  });
});

describe('importDataFile', () => {
  it('copies into data/ next to the dashboard and never overwrites', async () => {
    const dashboard = path.join(dir, 'sales.dashboard.json');
    const first = await importDataFile(dashboard, 'orders.csv', Buffer.from('a,b\n1,2\n'));
    expect(first).toEqual({ path: path.join(dir, 'data', 'orders.csv'), relativePath: 'data/orders.csv', format: 'csv', renamed: false });
    const second = await importDataFile(dashboard, 'orders.csv', Buffer.from('a,b\n3,4\n'));
    expect(second.relativePath).toBe('data/orders (2).csv');
    expect(second.renamed).toBe(true);
    expect(await fs.readFile(first.path, 'utf8')).toBe('a,b\n1,2\n');
    expect(await fs.readFile(second.path, 'utf8')).toBe('a,b\n3,4\n');
  });

  it('refuses unsupported, hidden, path-like, empty and huge files with a clear message', async () => {
    const dashboard = path.join(dir, 'd.dashboard.json');
    expect(() => checkImportName('report.xlsx')).toThrow('"report.xlsx" is not a data file Northstar reads: drop a .parquet, .csv, .tsv or .json file.');
    expect(() => checkImportName('.env.csv')).toThrow('hidden file');
    expect(() => checkImportName('../up.csv')).toThrow('is not a plain file name');
    expect((await errorOf(importDataFile(dashboard, 'empty.csv', new Uint8Array(0)))).message).toBe('"empty.csv" is empty.');
    const huge = await errorOf(importDataFile(dashboard, 'big.parquet', new Uint8Array(MAX_IMPORT_BYTES + 1)));
    expect(huge.code).toBe('tooLarge');
    expect(huge.message).toContain('dropped files may be at most 12.0 MB');
    await expect(fs.readdir(path.join(dir, 'data'))).rejects.toThrow();
  });
});

describe('freeDashboardPath and formats', () => {
  it('proposes a name no file uses', async () => {
    expect(await freeDashboardPath(dir, 'orders')).toBe(path.join(dir, 'orders.dashboard.json'));
    await fs.writeFile(path.join(dir, 'orders.dashboard.json'), '{}');
    expect(await freeDashboardPath(dir, 'orders')).toBe(path.join(dir, 'orders (2).dashboard.json'));
  });

  it('reads parquet, csv, tsv and json, not dashboards', () => {
    expect(['a.PARQUET', 'a.csv', 'a.tsv', 'a.json', 'a.dashboard.json', 'a.txt'].map(dataFormatOf)).toEqual(['parquet', 'csv', 'csv', 'json', null, null]);
  });
});

describe('host services for local data files', () => {
  it('starts a draft next to the data, lets its source connect, and imports drops for it', async () => {
    const gateway = await DataGateway.start();
    try {
      await fs.writeFile(path.join(dir, 'orders.csv'), 'a,b\n1,2\n');
      const services = createHostServices({ host: 'browser', appVersion: 't', gateway, homeDir: path.join(dir, 'home') });
      const draft = await services.startDraftDashboard({ dataPath: path.join(dir, 'orders.csv'), stem: 'orders' });
      expect(draft).toEqual({ path: path.join(dir, 'orders.dashboard.json'), dataPath: path.join(dir, 'orders.csv') });
      // Nothing is written until the user saves.
      await expect(fs.access(draft.path)).rejects.toThrow();
      const source = { name: 'orders', kind: 'file' as const, path: 'orders.csv', format: 'csv' as const };
      const connected = await services.connectSource({ dashboardPath: draft.path, source });
      const res = await fetch(connected.url);
      expect(await res.text()).toBe('a,b\n1,2\n');

      const imported = await services.importDataFile({ dashboardPath: draft.path, name: 'more.csv', base64: Buffer.from('x\n1\n').toString('base64') });
      expect(imported.relativePath).toBe('data/more.csv');

      const bad = await errorOf(services.startDraftDashboard({ dataPath: dir, stem: 'x' }));
      expect(bad.message).toBe(`${dir} is a folder: pick one data file in it.`);
      const unknown = await errorOf(services.importDataFile({ dashboardPath: path.join(dir, 'never-opened.dashboard.json'), name: 'a.csv', base64: 'YQ==' }));
      expect(unknown.message).toContain('opened in this session');
      // The browser host has no native dialog: the renderer browses in the app instead.
      expect((await errorOf(services.pickDataFile({}))).message).toContain('browse for the file in the app');
      expect((await errorOf(services.pickFolder({}))).message).toContain('browse for the folder in the app');
    } finally {
      await gateway.close();
    }
  });

  /** Host services of the desktop app with injected pickers, on a gateway closed after `work`. */
  async function withPickers(pickers: Pick<Parameters<typeof createHostServices>[0], 'pickDataFile' | 'pickFolder'>, work: (services: ReturnType<typeof createHostServices>) => Promise<void>): Promise<void> {
    const gateway = await DataGateway.start();
    try {
      await work(createHostServices({ host: 'electron', appVersion: 't', gateway, homeDir: path.join(dir, 'home'), ...pickers }));
    } finally {
      await gateway.close();
    }
  }

  it('asks an injected picker for a data file, and refuses a picked non-data file', async () => {
    let picked = path.join(dir, 'x.parquet');
    const asked: { folder?: string }[] = [];
    const pickDataFile = async (req: { folder?: string }) => (asked.push(req), picked);
    await withPickers({ pickDataFile }, async (services) => {
      expect(await services.pickDataFile({ dashboardPath: path.join(dir, 'a.dashboard.json') })).toEqual({ path: picked });
      expect(asked).toEqual([{ folder: dir }]);
      picked = path.join(dir, 'x.docx');
      expect((await errorOf(services.pickDataFile({}))).message).toBe('x.docx is not a data file Northstar reads: pick a .parquet, .csv, .tsv or .json file.');
    });
  });

  it('asks an injected picker for a folder, starting in the dashboard\'s, and gives it back absolute; a cancel is null', async () => {
    // As a dialog might give it: not yet normalized.
    let picked: string | null = `${dir}${path.sep}outbox${path.sep}..${path.sep}outbox`;
    const asked: { folder?: string }[] = [];
    const pickFolder = async (req: { folder?: string }) => (asked.push(req), picked);
    await withPickers({ pickFolder }, async (services) => {
      expect(await services.pickFolder({ dashboardPath: path.join(dir, 'a.dashboard.json') })).toEqual({ path: path.join(dir, 'outbox') });
      expect(asked).toEqual([{ folder: dir }]);
      picked = null;
      expect(await services.pickFolder({})).toEqual({ path: null });
      expect(asked[1]).toEqual({});
    });
  });
});
