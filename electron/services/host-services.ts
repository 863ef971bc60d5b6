// The host side of the typed host API, as plain Node: both the Electron main process and the
// browser host serve exactly this object. It never imports electron.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  externalLink,
  HostError,
  type AccessKeys,
  type AppInfo,
  type ConnectedSource,
  type HostApi,
  type OpenedDashboard,
  type SaveConflict,
  type SavedDashboard,
  type SourceListing,
} from '../api/host-api';
import type { DashboardFile, Revision, S3Source, Source } from '../../dashboards/schema';
import { loadDashboard, MAX_DASHBOARD_BYTES, serializeDashboard } from '../../dashboards/document';
import { canonicalContent, withRevision } from '../../dashboards/revision';
import { displayUrl, type DataGateway, type GatewayObjectInfo } from './data-gateway';
import { GatewayCache } from './gateway-cache';
import { ResultStore } from './result-store';
import { TAIL_BYTES } from '../../queries/engine/prefetch';
import { contentVersion } from '../../queries/persisted-results';
import { expandSource, isMultiFilePattern, literalPrefix, parseS3Uri, resolveLocalPath, type ExpandContext, type SourceObject } from './source-listing';
import { cleanStaleTempFiles, writeFileAtomic } from './atomic-write';
import { hasHistory, hasRevision, historyFolder, listRevisionInfos, readDashboardId, readHistory, readRevisionBlock, recordRevision } from './history-store';
import { TrustStore } from './trust-store';
import { AutosaveStore } from './autosave';
import { CredentialStore } from './credentials';
import { namingSource, shareDashboard } from './share';
import { dataFormatOf, freeDashboardPath, importDataFile, listDataFolder, MAX_IMPORT_BYTES, startPlaces, tooLargeToImport } from './local-files';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (or the app folder once packaged): where the bundled demo lives. */
export const APP_ROOT = path.resolve(here, '..', '..');

/** The bundled demo dashboard that `npm start` opens. */
export const DEMO_DASHBOARD_PATH = path.join(APP_ROOT, 'dashboards', 'examples', 'customer-kpis.dashboard.json');

export interface HostServicesOptions {
  host: AppInfo['host'];
  appVersion: string;
  gateway: DataGateway;
  /** Dashboard opened when the renderer asks without a path. */
  defaultDashboardPath?: string;
  /** Where this machine's Northstar state lives (the trust store). Default: $NORTHSTAR_HOME, else ~/.northstar. */
  homeDir?: string;
  /** The data gateway's disk cache of S3 objects and URLs: its folder (default <home>/cache/gateway), or null for none. */
  gatewayCacheDir?: string | null;
  /** Upper bound of that cache in bytes (default 2 GiB). */
  gatewayCacheMaxBytes?: number;
  /** Stored panel results (result-store.ts): their folder (default <home>/cache/results), or null for none. */
  resultStoreDir?: string | null;
  /** Where typed S3 keys are kept: Electron passes one with its safeStorage cipher; default: memory only. */
  credentials?: CredentialStore;
  /** Opens a checked https URL in the system browser (Electron's shell.openExternal); absent in the browser host. */
  openExternal?: (url: string) => Promise<void>;
  /** Shows the host's native file dialog for a dashboard (Electron's `dialog`); absent in the browser host. */
  pickDashboardFile?: (req: { purpose: 'open' | 'new' | 'saveAs'; suggestedPath?: string }) => Promise<string | null>;
  /** Shows the host's native open dialog for a data file, starting in `folder` (Electron's `dialog`); absent in the browser host. */
  pickDataFile?: (req: { folder?: string }) => Promise<string | null>;
  /** Shows the host's native dialog for a folder, starting in `folder` (Electron's `dialog`); absent in the browser host. */
  pickFolder?: (req: { folder?: string }) => Promise<string | null>;
  /** Overrides the renderer's memory budget for one dataset load, in bytes (see AppInfo); tests make it tiny to force scan mode. */
  memoryBudgetBytes?: number;
  /**
   * The dashboard the first window opens: its S3 sources are probed as soon as the services
   * start, while the window boots (`probeAhead`). The hosts set it; tests of other things do not.
   */
  probeSourcesOf?: string;
}

/** How long a source's probe made ahead (`probeSources`) may stand in for connectSource's own. */
const EARLY_PROBE_TTL_MS = 30_000;

/** The folder of this machine's Northstar state: $NORTHSTAR_HOME, else ~/.northstar. */
export function defaultHomeDir(): string {
  return process.env.NORTHSTAR_HOME || path.join(os.homedir(), '.northstar');
}

/** Create the host API implementation over a running data gateway. */
export function createHostServices(opts: HostServicesOptions): HostApi {
  const defaultPath = opts.defaultDashboardPath ?? DEMO_DASHBOARD_PATH;
  const trust = new TrustStore(opts.homeDir ?? defaultHomeDir());
  if (opts.gatewayCacheDir !== null) {
    const dir = opts.gatewayCacheDir ?? path.join(opts.homeDir ?? defaultHomeDir(), 'cache', 'gateway');
    opts.gateway.useCache(new GatewayCache({ dir, ...(opts.gatewayCacheMaxBytes !== undefined ? { maxBytes: opts.gatewayCacheMaxBytes } : {}) }));
  }
  // Panel results of earlier sessions, so a re-open over unchanged data draws before its load.
  // A host that keeps no data cache keeps no results either, unless given a folder for them.
  const noResultStore = opts.resultStoreDir === null || (opts.resultStoreDir === undefined && opts.gatewayCacheDir === null);
  const resultStore = noResultStore ? null : new ResultStore({ dir: opts.resultStoreDir ?? path.join(opts.homeDir ?? defaultHomeDir(), 'cache', 'results') });
  // Content hashes this process has seen trusted (by real content, not by a file's own claim).
  const verifiedTrusted = new Set<string>();
  // Dashboards the renderer has opened or saved in this session; sources resolve relative to them.
  const knownDashboards = new Set<string>();
  // Keys the user typed, remembered for this session only (in memory), per source location, so a
  // refresh does not ask again. The renderer never gets them back.
  const typedKeys = new Map<string, AccessKeys>();
  const credentials = opts.credentials ?? new CredentialStore(opts.homeDir ?? defaultHomeDir(), null);
  // Typed keys are stored (encrypted, where the OS can) for later sessions; keys not typed now come
  // from this session or that store. A refusal to store never fails the read: the keys still work now.
  const keysFor = async (source: Source, typed: AccessKeys | undefined): Promise<AccessKeys | undefined> => {
    if (source.kind !== 's3') return typed;
    const location = sourceIdentity(source);
    if (typed) {
      await credentials.persist(location, typed).catch((err: unknown) => {
        if (!(err instanceof HostError && err.code === 'credentials')) throw err;
      });
      return typed;
    }
    return typedKeys.get(location) ?? (await credentials.recall(location)) ?? undefined;
  };
  // Saves of one file run one after another, so two saves in flight cannot both pass the conflict check.
  const fileLocks = new Map<string, Promise<unknown>>();
  const withFileLock = <T>(file: string, work: () => Promise<T>): Promise<T> => {
    const run = (fileLocks.get(file) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    fileLocks.set(file, settled);
    void settled.then(() => {
      if (fileLocks.get(file) === settled) fileLocks.delete(file);
    });
    return run;
  };
  // Another dashboard of this session in the folder of `file` that carries `id` on disk (the
  // original of a copy whose history is still empty: both would later record into one folder).
  const knownNearbyWithId = async (file: string, id: string): Promise<boolean> => {
    for (const other of knownDashboards) {
      if (other === file || path.dirname(other) !== path.dirname(file)) continue;
      const text = await fs.readFile(other, 'utf8').catch(() => null);
      if (text !== null && readDashboardId(text) === id) return true;
    }
    return false;
  };
  // Local patterns (globs, folders) the user typed in the Data sources dialog this session: they
  // may reach outside the dashboard's folder. Patterns from a file may not (see source-listing.ts).
  const typedLocalPatterns = new Set<string>();
  // The sources each opened or saved file declares on disk, with the content hash they came
  // with: a trusted content's sources are approved for the gateway without asking again.
  const declaredOnDisk = new Map<string, { contentHash: string; sources: string[] }>();
  const remember = (file: string, contentHash: string, doc: DashboardFile) =>
    declaredOnDisk.set(file, { contentHash, sources: doc.sources.map(stableJson) });
  const trustedDeclares = (file: string, source: Source): boolean => {
    const entry = declaredOnDisk.get(file);
    return entry !== undefined && verifiedTrusted.has(entry.contentHash) && entry.sources.includes(stableJson(source));
  };
  // Approve a source for the data gateway: the user typed it, or trusted content declares it.
  const approve = (dashboardFile: string, source: Source) => {
    switch (source.kind) {
      case 'file': {
        const abs = resolveLocalPath(dashboardFile, source.path);
        if (isMultiFilePattern(source.path)) {
          typedLocalPatterns.add(abs);
          const prefix = literalPrefix(abs.split(path.sep).join('/'));
          opts.gateway.allowFolder(path.resolve(prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/'));
        } else {
          opts.gateway.allowFolder(path.dirname(abs));
        }
        return;
      }
      case 's3': {
        const { bucket } = parseS3Uri(source.uri);
        opts.gateway.approveBucket(bucket, source.endpoint);
        return;
      }
      case 'url':
        opts.gateway.approveUrl(source.url);
        return;
    }
  };
  // Before anything is listed or mounted: an S3 or URL source nobody approved is never contacted.
  const admit = (dashboardFile: string, source: Source, typed: boolean) => {
    if (typed || trustedDeclares(dashboardFile, source)) approve(dashboardFile, source);
    if (source.kind === 's3') {
      const { bucket, key } = parseS3Uri(source.uri);
      opts.gateway.checkApproved({ kind: 's3', bucket, key, ...(source.endpoint ? { endpoint: source.endpoint } : {}) });
    } else if (source.kind === 'url') {
      opts.gateway.checkApproved({ kind: 'url', url: source.url });
    }
  };

  // A folder the user opened themselves (picked or dropped a file in it): the gateway may serve its
  // files in this session. h5's gateway allowlist is the one place that decides what is served.
  const approveLocalFolder = (folder: string) => opts.gateway.allowFolder(path.resolve(folder));

  const autosaves = new AutosaveStore(opts.homeDir ?? defaultHomeDir());
  const openedDashboard = (dashboardPath: string): string => {
    const file = path.resolve(dashboardPath);
    if (!knownDashboards.has(file)) throw new HostError('badRequest', 'Autosave is only kept for a dashboard opened in this session.');
    return file;
  };
  const knownDashboard = (dashboardPath: string): string => {
    const file = path.resolve(dashboardPath);
    if (!knownDashboards.has(file)) {
      throw new HostError('badRequest', 'Sources can only be connected for a dashboard opened in this session.');
    }
    return file;
  };
  // Probes made before the renderer asked (probeSources), by mount URL: the first connectSource of
  // that URL takes the answer instead of asking S3 again.
  const earlyProbes = new Map<string, { at: number; probe: Promise<GatewayObjectInfo> }>();
  const takeEarlyProbe = (url: string): Promise<GatewayObjectInfo> | null => {
    const early = earlyProbes.get(url);
    earlyProbes.delete(url);
    return early && Date.now() - early.at <= EARLY_PROBE_TTL_MS ? early.probe : null;
  };
  // A single Parquet object's footer is read right after its probe: the gateway may read it in the probe.
  const probeOptions = (source: Source, multiFile: boolean) => (!multiFile && source.format === 'parquet' ? { tailBytes: TAIL_BYTES } : {});
  /**
   * The probe connectSource makes, for each single-object S3 source of `doc` that `file` may read
   * now (a source its trusted content declares, or one already approved), with the keys stored for
   * it, unless one is waiting already: made when a dashboard opens, so that its answer (and, for
   * Parquet, the footer's bytes) is there when the renderer asks, not one S3 round trip after.
   * Failures are dropped: the renderer's own call then probes again and reports them.
   */
  const probeSources = async (file: string, doc: DashboardFile): Promise<void> => {
    for (const source of doc.sources) {
      if (source.kind !== 's3' || isMultiFilePattern(parseS3Uri(source.uri).key)) continue;
      const object = await (async () => {
        admit(file, source, false);
        return (await expandSource(source, expandContext(file, source, await keysFor(source, undefined)))).objects[0];
      })().catch(() => undefined);
      if (!object) continue;
      const url = mountObject(opts.gateway, object);
      const waiting = earlyProbes.get(url);
      if (waiting && Date.now() - waiting.at <= EARLY_PROBE_TTL_MS) continue;
      const probe = opts.gateway.head(url, probeOptions(source, false));
      probe.catch(() => {});
      earlyProbes.set(url, { at: Date.now(), probe });
    }
  };
  /** At start, the sources of the dashboard the first window opens (`probeSourcesOf`), while the window boots. */
  const probeAhead = async (dashboardPath: string): Promise<void> => {
    const file = path.resolve(dashboardPath);
    const loaded = loadDashboard((await readDashboardBytes(file)).toString('utf8'));
    if (!loaded.ok) return;
    const contentHash = contentHashOf(loaded.dashboard);
    if (await trust.has(contentHash)) {
      verifiedTrusted.add(contentHash);
      remember(file, contentHash, loaded.dashboard);
    }
    await probeSources(file, loaded.dashboard);
  };

  const expandContext = (dashboardFile: string, source: Source, keys: AccessKeys | undefined): ExpandContext => {
    const remembered = source.kind === 's3' ? sourceIdentity(source) : null;
    if (remembered && keys) typedKeys.set(remembered, keys);
    const useKeys = keys ?? (remembered ? typedKeys.get(remembered) : undefined);
    return { dashboardFile, ...(useKeys ? { keys: useKeys } : {}), allowLocalPattern: (abs) => typedLocalPatterns.has(abs) };
  };

  if (opts.probeSourcesOf !== undefined) {
    void probeAhead(opts.probeSourcesOf).catch(() => {});
    // Also while the window boots: the stored results' first read (a re-open draws from them).
    setImmediate(() => resultStore?.warmUp());
  }

  return {
    async getAppInfo() {
      return {
        appVersion: opts.appVersion,
        host: opts.host,
        gatewayOrigin: opts.gateway.origin,
        credentialStorage: credentials.describe(),
        ...(opts.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: opts.memoryBudgetBytes } : {}),
      };
    },

    async openDashboard({ path: requested }): Promise<OpenedDashboard> {
      const file = path.resolve(requested ?? defaultPath);
      const bytes = await readDashboardBytes(file);
      const text = bytes.toString('utf8');
      const loaded = loadDashboard(text);
      const contentHash = loaded.ok ? contentHashOf(loaded.dashboard) : null;
      const trusted = contentHash !== null && (await trust.has(contentHash));
      if (trusted && contentHash) verifiedTrusted.add(contentHash);
      knownDashboards.add(file);
      // The dashboard's own folder is opened with it: its local sources read with no extra click.
      opts.gateway.allowFolder(path.dirname(file));
      if (loaded.ok && contentHash) remember(file, contentHash, loaded.dashboard);
      else declaredOnDisk.delete(file);
      // Its sources are probed now, while the reply travels and the page reads the file.
      if (loaded.ok) void probeSources(file, loaded.dashboard).catch(() => {});
      // Housekeeping never stands between the user and the file (the folder may be read-only).
      await cleanStaleTempFiles(path.dirname(file));
      if (loaded.ok) await importCurrentRevision(file, loaded.dashboard, contentHash, text);
      return { path: file, text, diskHash: sha256(bytes), contentHash, trusted };
    },

    async saveDashboard(req): Promise<SavedDashboard> {
      const file = path.resolve(req.path);
      if (!file.endsWith('.json')) throw new HostError('badRequest', `Dashboards are saved as .json files, not ${path.basename(file)}.`);
      return withFileLock(file, async () => {
        const loaded = loadDashboard(req.text);
        const disk = await readDisk(file);
        if ((disk?.hash ?? null) !== req.baseDiskHash && !req.force) {
          throw await conflictError(file, disk, loaded.ok ? loaded.dashboard : null);
        }
        if (!loaded.ok) throw new HostError('badRequest', `Not saved: the dashboard is not valid. ${loaded.error.message}`);
        // The loader repairs what it can (drops a broken panel, say); saving the repaired copy would
        // silently lose that part, so a text that needs repairs is refused like an invalid one.
        const repair = loaded.warnings[0];
        if (repair) {
          const more = loaded.warnings.length > 1 ? ` (and ${loaded.warnings.length - 1} more)` : '';
          throw new HostError('badRequest', `Not saved: the dashboard is not valid. ${repair.path}: ${repair.message}${more}`);
        }
        let doc = loaded.dashboard;
        // The content as sent, the revision it says it was made from, and the file on disk when the
        // edit was made from it (its bytes are the save's base): trust carries over from any of them.
        // A file written by hand has no revision block, so only the disk says what its first save
        // was made from; an overwrite of a file changed since (force) is not made from that file.
        const base = disk && !req.force && disk.hash === req.baseDiskHash ? loadDashboard(disk.text) : null;
        const madeFrom = [contentHashOf(doc), ...(doc.revision ? [doc.revision.contentHash] : []), ...(base?.ok ? [contentHashOf(base.dashboard)] : [])];
        let copyNote: string | undefined;
        if (!disk && !knownDashboards.has(file) && ((await hasHistory(file, doc.id)) || (await knownNearbyWithId(file, doc.id)))) {
          // A new file for a dashboard whose history is kept in this folder is a copy (Save as copy,
          // Save as… next to the original): history is kept per id, so with the original's id the
          // copy's revisions would land in the original's history. It gets its own id and starts
          // its own history at revision 1, saying what it was copied from.
          copyNote = doc.revision ? `Saved as a copy of revision ${doc.revision.number} of dashboard ${doc.id}` : `Saved as a copy of dashboard ${doc.id}`;
          const { revision: _copied, ...content } = doc;
          doc = { ...content, id: randomUUID() };
        }
        const current = doc.revision ?? null;
        const contentHash = contentHashOf(doc);

        let revision: Revision;
        let text: string;
        if (current && current.contentHash === contentHash) {
          // Same content as the revision it carries: that revision still describes it. A new one
          // would have itself as parent. Rewrite only if the disk differs (formatting, or an
          // overwrite/copy), so saving an unchanged dashboard leaves the file byte-identical.
          revision = current;
          text = serializeDashboard(doc);
        } else {
          const diskRevision = disk ? readRevisionBlock(disk.text) : null;
          const message = req.message?.trim() ? req.message : copyNote;
          revision = {
            number: Math.max(current?.number ?? 0, diskRevision?.number ?? 0) + 1,
            savedAt: new Date().toISOString(),
            savedBy: (req.savedBy ?? osUserName()).slice(0, 200),
            ...(message !== undefined ? { message } : {}),
            parentHash: current?.contentHash ?? null,
            contentHash,
          };
          text = serializeDashboard(withRevision(doc, revision));
        }
        // Never write what we could not open again.
        const check = loadDashboard(text);
        if (!check.ok) throw new HostError('internal', `Not saved: the stamped dashboard does not load (${check.error.message}).`);

        const diskHash = sha256(Buffer.from(text, 'utf8'));
        // Compared as bytes: a file with invalid UTF-8 can decode to the same string and still differ.
        if (disk?.hash !== diskHash) await writeFileAtomic(file, text);
        knownDashboards.add(file);
        opts.gateway.allowFolder(path.dirname(file));
        await bestEffort('record the revision in history', () => recordRevision(file, doc.id, revision, text));
        // Saving is not reviewing: content with SQL becomes trusted only when it was made from
        // content this session saw trusted (opened trusted, trusted by the user, or saved so).
        const trusted = !hasSqlDatasets(doc) || verifiedTrusted.has(contentHash) || madeFrom.some((hash) => verifiedTrusted.has(hash));
        if (trusted) {
          verifiedTrusted.add(contentHash);
          await bestEffort('trust the saved dashboard', () => trust.add(contentHash));
        }
        remember(file, contentHash, doc);
        return { path: file, text, diskHash, contentHash, revisionNumber: revision.number, trusted };
      });
    },

    async listRevisions({ path: requested }) {
      const file = path.resolve(requested);
      const text = (await readDashboardBytes(file)).toString('utf8');
      const id = readDashboardId(text);
      if (!id) return [];
      const loaded = loadDashboard(text);
      if (loaded.ok) await importCurrentRevision(file, loaded.dashboard, contentHashOf(loaded.dashboard), text);
      return listRevisionInfos(file, id);
    },

    async readRevision({ path: requested, contentHash }) {
      const file = path.resolve(requested);
      const id = readDashboardId((await readDashboardBytes(file)).toString('utf8'));
      const found = id ? (await readHistory(file, id, { contentHash }))[0] : undefined;
      if (!found) throw new HostError('notFound', `The history of ${path.basename(file)} has no revision ${contentHash.slice(0, 12)}.`);
      return { text: found.text };
    },

    async trustDashboard({ contentHash }) {
      await trust.add(contentHash);
      verifiedTrusted.add(contentHash);
    },

    async forgetSourceKeys({ source }) {
      if (source.kind !== 's3') return { forgotten: false };
      const location = sourceIdentity(source);
      const typed = typedKeys.delete(location);
      const stored = await credentials.forget(location);
      // URLs mounted with the keys would keep signing with them: they go too.
      opts.gateway.dropTypedKeyMounts(parseS3Uri(source.uri).bucket, source.endpoint);
      return { forgotten: stored || typed };
    },

    async connectSource({ dashboardPath, source, keys }): Promise<ConnectedSource> {
      const dashboardFile = knownDashboard(dashboardPath);
      return namingSource(source.name, async () => {
        admit(dashboardFile, source, false);
        const expanded = await expandSource(source, expandContext(dashboardFile, source, await keysFor(source, keys)));
        const urls = expanded.objects.map((o) => mountObject(opts.gateway, o));
        const first = urls[0] as string;
        // One HEAD proves the objects can be read (listing rights are not read rights); a listing
        // already knows every size, and HEADing thousands of objects would only cost time. One
        // made ahead (probeSources) stands in when it worked; a failed one is not trusted.
        const info = (await takeEarlyProbe(first)?.catch(() => null)) ?? (await opts.gateway.head(first, probeOptions(source, expanded.multiFile)));
        const sizeBytes = expanded.multiFile ? sumSizes(expanded.objects) : info.sizeBytes;
        // The HEAD validated the one object just now; a listing's files carry no validated version
        // (so their panel results are neither stored nor served).
        const versions = expanded.objects.map((o) => ({ object: objectIdentity(o), version: expanded.multiFile ? null : contentVersion(info.etag, info.lastModified, info.sizeBytes) }));
        return { name: source.name, url: first, urls, sizeBytes, location: expanded.location, versions };
      });
    },

    async listSourceObjects({ dashboardPath, source, keys, typedByUser }): Promise<SourceListing> {
      const dashboardFile = knownDashboard(dashboardPath);
      if (typedByUser && source.kind === 'file') typedLocalPatterns.add(resolveLocalPath(dashboardFile, source.path));
      return namingSource(source.name, async () => {
        admit(dashboardFile, source, typedByUser === true);
        const expanded = await expandSource(source, expandContext(dashboardFile, source, await keysFor(source, keys)));
        let objects = expanded.objects;
        if (!expanded.multiFile) {
          const info = await opts.gateway.head(mountObject(opts.gateway, objects[0] as SourceObject));
          objects = objects.map((o) => ({ ...o, sizeBytes: info.sizeBytes }) as SourceObject);
        }
        return {
          objects: objects.slice(0, LISTING_REPLY_LIMIT).map((o) => ({ location: describeObject(o), sizeBytes: o.sizeBytes })),
          truncated: objects.length > LISTING_REPLY_LIMIT,
          count: objects.length,
          totalBytes: sumSizes(objects),
          location: expanded.location,
        };
      });
    },

    shareDashboard: (req) => shareDashboard(req, { isOpenDashboard: (file) => knownDashboards.has(file), expandContext }),

    openExternal: async ({ url }) => {
      const link = externalLink(url);
      if (!link) throw new HostError('badRequest', `Only https links can be opened, not ${JSON.stringify(url.slice(0, 200))}.`);
      if (!opts.openExternal) return { opened: false };
      await opts.openExternal(link);
      return { opened: true };
    },

    pickDashboardFile: async (req) => {
      if (!opts.pickDashboardFile) throw new HostError('badRequest', 'This host has no file dialog: type the path of the dashboard file instead.');
      const picked = await opts.pickDashboardFile(req);
      return { path: picked === null ? null : path.resolve(picked) };
    },

    pickDataFile: async ({ dashboardPath }) => {
      if (!opts.pickDataFile) throw new HostError('badRequest', 'This host has no file dialog: browse for the file in the app instead.');
      const picked = await opts.pickDataFile(dashboardPath ? { folder: path.dirname(path.resolve(dashboardPath)) } : {});
      if (picked === null) return { path: null };
      const file = path.resolve(picked);
      if (!dataFormatOf(file)) throw new HostError('badRequest', `${path.basename(file)} is not a data file Northstar reads: pick a .parquet, .csv, .tsv or .json file.`);
      approveLocalFolder(path.dirname(file));
      return { path: file };
    },

    pickFolder: async ({ dashboardPath }) => {
      if (!opts.pickFolder) throw new HostError('badRequest', 'This host has no folder dialog: browse for the folder in the app instead.');
      const picked = await opts.pickFolder(dashboardPath ? { folder: path.dirname(path.resolve(dashboardPath)) } : {});
      return { path: picked === null ? null : path.resolve(picked) };
    },

    listDataFolder: async ({ folder, dashboardPath }) => {
      const places = startPlaces(dashboardPath);
      return listDataFolder(folder ?? (places[0] as { path: string }).path, places);
    },

    importDataFile: async ({ dashboardPath, name, base64 }) => {
      const dashboardFile = knownDashboard(dashboardPath);
      // Checked before decoding: base64 is 4/3 of the bytes.
      const approxBytes = Math.floor((base64.length * 3) / 4);
      if (approxBytes > MAX_IMPORT_BYTES + 2) throw tooLargeToImport(name, approxBytes);
      const imported = await importDataFile(dashboardFile, name, Buffer.from(base64, 'base64'));
      approveLocalFolder(path.dirname(imported.path));
      return imported;
    },

    startDraftDashboard: async ({ dashboardPath, dataPath, stem }) => {
      const base = dashboardPath ? path.dirname(path.resolve(dashboardPath)) : path.dirname(defaultPath);
      let data: string | null = null;
      if (dataPath !== undefined) {
        data = path.resolve(base, dataPath);
        const stat = await fs.stat(data).catch(() => null);
        if (!stat) throw new HostError('notFound', `There is no file ${data}.`);
        if (stat.isDirectory()) throw new HostError('badRequest', `${data} is a folder: pick one data file in it.`);
        if (!dataFormatOf(data)) throw new HostError('badRequest', `${path.basename(data)} is not a data file Northstar reads: use a .parquet, .csv, .tsv or .json file.`);
        approveLocalFolder(path.dirname(data));
      }
      const file = await freeDashboardPath(data ? path.dirname(data) : base, stem);
      knownDashboards.add(file);
      return { path: file, dataPath: data };
    },

    // Only for dashboards opened in this session: a page cannot plant autosaves for other paths.
    writeAutosave: async ({ dashboardPath, text, baseDiskHash }) => {
      const file = openedDashboard(dashboardPath);
      try {
        return autosaves.schedule(file, text, baseDiskHash);
      } catch (err) {
        throw new HostError('badRequest', (err as Error).message);
      }
    },
    readAutosave: async ({ dashboardPath }) => {
      const found = await autosaves.read(openedDashboard(dashboardPath));
      return found ? { text: found.text, savedAt: found.savedAt, baseDiskHash: found.baseDiskHash } : null;
    },
    discardAutosave: async ({ dashboardPath }) => {
      await autosaves.discard(openedDashboard(dashboardPath));
    },
    getCacheInfo: async () => {
      const { enabled, bytes, maxBytes } = await opts.gateway.cacheInfo();
      if (!resultStore) return { enabled, bytes, maxBytes };
      return { enabled: true, bytes, resultsBytes: (await resultStore.info()).bytes, maxBytes };
    },
    clearCache: async () => {
      const { enabled, freedBytes } = await opts.gateway.clearCache();
      if (!resultStore) return { enabled, freedBytes };
      return { enabled: true, freedBytes, freedResultsBytes: (await resultStore.clear()).freedBytes };
    },
    readPanelResults: async ({ key }) => (resultStore ? resultStore.read(key) : null),
    storePanelResults: async ({ key, entry }) => {
      await resultStore?.write(key, entry);
    },
  };
}

/** SHA-256 hex of the canonical content (without the revision block): what trust and history key on. */
export function contentHashOf(doc: DashboardFile): string {
  return sha256(Buffer.from(canonicalContent(doc), 'utf8'));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function osUserName(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    // No passwd entry (some containers): still save, just without a name.
    return 'unknown';
  }
}

async function bestEffort(what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    // The dashboard itself is saved (or open); failing the call now would only invite a retry that conflicts.
    console.warn(`Northstar: could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * History always holds the revision a file is at, also when the file arrived from elsewhere (by
 * email, a copied folder). Only a truthful block is imported: one whose contentHash is the content.
 */
async function importCurrentRevision(file: string, doc: DashboardFile, contentHash: string | null, text: string): Promise<void> {
  const revision = doc.revision;
  if (!revision || revision.contentHash !== contentHash) return;
  await bestEffort('import the current revision into history', async () => {
    if (!(await hasRevision(file, doc.id, revision))) await recordRevision(file, doc.id, revision, text);
    const folder = historyFolder(file, doc.id);
    if (folder) await cleanStaleTempFiles(folder);
  });
}

interface DiskState {
  text: string;
  hash: string;
  mtime: Date;
}

async function readDisk(file: string): Promise<DiskState | null> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!stat.isFile()) throw new HostError('badRequest', `${file} is not a file.`);
  const bytes = await fs.readFile(file);
  return { text: bytes.toString('utf8'), hash: sha256(bytes), mtime: stat.mtime };
}

/** The conflict error for a save whose base is not what is on disk: who changed it, when, and whether the copies diverged. */
async function conflictError(file: string, disk: DiskState | null, saving: DashboardFile | null): Promise<HostError> {
  const name = `"${path.basename(file)}"`;
  if (!disk) {
    return new HostError('conflict', `${name} is no longer on disk: it was moved or deleted since you opened it. Overwrite to write it there again, or save as a copy.`, {
      disk: null,
      diverged: false,
    });
  }
  const diskLoaded = loadDashboard(disk.text);
  const diskDoc = diskLoaded.ok ? diskLoaded.dashboard : null;
  const r = diskDoc?.revision ?? null;
  const conflict: SaveConflict = {
    disk: r ? { number: r.number, savedAt: r.savedAt, savedBy: r.savedBy, contentHash: r.contentHash, parentHash: r.parentHash } : null,
    diverged: false,
  };
  const who = r ? `revision ${r.number} by ${r.savedBy} at ${formatTime(r.savedAt)}` : `modified ${formatTime(disk.mtime.toISOString())}`;
  let message = `${name} changed on disk since you opened it (${who}). Reload, overwrite, or save as a copy.`;
  if (diskDoc && saving) {
    const lineage = await compareLineage(file, diskDoc, saving);
    conflict.diverged = lineage.diverged;
    if (lineage.diverged) {
      message +=
        lineage.commonNumber !== null
          ? ` Both copies were made from revision ${lineage.commonNumber}: they diverged.`
          : ' The two copies have no revision in common: they diverged.';
    }
  }
  return new HostError('conflict', message, conflict);
}

/**
 * Whether the copy on disk and the copy being saved diverged: neither is an ancestor of the
 * other, following parentHash links through the revision blocks and the history folder.
 */
async function compareLineage(file: string, diskDoc: DashboardFile, saving: DashboardFile): Promise<{ diverged: boolean; commonNumber: number | null }> {
  const known = new Map<string, { parentHash: string | null; number: number }>();
  const learn = (r: Revision) => {
    if (!known.has(r.contentHash)) known.set(r.contentHash, { parentHash: r.parentHash, number: r.number });
  };
  for (const id of new Set([saving.id, diskDoc.id])) {
    for (const entry of await readHistory(file, id)) learn(entry.revision);
  }
  if (diskDoc.revision) learn(diskDoc.revision);
  if (saving.revision) learn(saving.revision);

  // Each side's tip is what it really contains; its block (possibly stale after an outside edit) is where it came from.
  const chain = (doc: DashboardFile): string[] => {
    const out = [contentHashOf(doc)];
    const seen = new Set(out);
    const visited = new Set<string>();
    for (let next = doc.revision?.contentHash ?? null; next !== null && !visited.has(next); next = known.get(next)?.parentHash ?? null) {
      visited.add(next);
      if (!seen.has(next)) out.push(next);
      seen.add(next);
    }
    return out;
  };
  const diskChain = chain(diskDoc);
  const savingChain = chain(saving);
  const diskSet = new Set(diskChain);
  const savingSet = new Set(savingChain);
  const diverged = !savingSet.has(diskChain[0] as string) && !diskSet.has(savingChain[0] as string);
  const common = savingChain.find((h) => diskSet.has(h));
  return { diverged, commonNumber: common !== undefined ? (known.get(common)?.number ?? null) : null };
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function sourceIdentity(source: S3Source): string {
  return JSON.stringify([source.uri, source.endpoint ?? '', source.region ?? '', source.profile ?? '']);
}

async function readDashboardBytes(file: string): Promise<Buffer> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new HostError('notFound', `No dashboard file at ${file}.`);
  }
  if (!stat.isFile()) throw new HostError('badRequest', `${file} is not a file.`);
  if (stat.size > MAX_DASHBOARD_BYTES) {
    throw new HostError('tooLarge', `${path.basename(file)} is ${(stat.size / 1024 / 1024).toFixed(1)} MB; dashboards may be at most ${MAX_DASHBOARD_BYTES / 1024 / 1024} MB.`);
  }
  return fs.readFile(file);
}

/** Replies of listSourceObjects list at most this many files (the count covers them all). */
const LISTING_REPLY_LIMIT = 1000;


function mountObject(gateway: DataGateway, object: SourceObject): string {
  switch (object.kind) {
    case 'file':
      return gateway.addLocalFile(object.absPath, object.name);
    case 's3':
      return gateway.addS3Object(object.ref, object.name);
    case 'url':
      return gateway.addRemoteUrl(object.url);
  }
}

function describeObject(object: SourceObject): string {
  switch (object.kind) {
    case 'file':
      return object.absPath;
    case 's3':
      return `s3://${object.ref.bucket}/${object.ref.key}`;
    case 'url':
      return displayUrl(new URL(object.url));
  }
}

/** Which file an object is, for stored results' keys: never a gateway URL (new every launch). */
function objectIdentity(object: SourceObject): string {
  switch (object.kind) {
    case 'file':
      return object.absPath;
    case 's3':
      return JSON.stringify(['s3', object.ref.endpoint ?? null, object.ref.bucket, object.ref.key]);
    case 'url':
      return object.url;
  }
}

function sumSizes(objects: readonly { sizeBytes: number | null }[]): number | null {
  let total = 0;
  for (const o of objects) {
    if (o.sizeBytes === null) return null;
    total += o.sizeBytes;
  }
  return total;
}

/** JSON with sorted keys, so two parses of the same source compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function hasSqlDatasets(doc: { datasets: { kind: string }[] }): boolean {
  return doc.datasets.some((d) => d.kind === 'sql');
}
