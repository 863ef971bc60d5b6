// The ONE contract between the renderer and the host (VS Code `ProxyChannel` style).
// Both transports, Electron IPC (preload + ipcMain) and the browser host (HTTP), are generated
// from `hostApiArgs` below: there are no hand-written channel strings anywhere else.
// This module is "common": it may import zod and dashboards/, nothing from Node, DOM or Electron.
import { z } from 'zod';
import { Source } from '../../dashboards/schema';

/** Keys the user typed for a source. They go to the host once and are never kept in the renderer. */
export const AccessKeys = z
  .object({
    accessKeyId: z.string().min(1).max(256),
    secretAccessKey: z.string().min(1).max(1024),
    sessionToken: z.string().min(1).max(8192).optional(),
  })
  .strict();
export type AccessKeys = z.infer<typeof AccessKeys>;

export interface AppInfo {
  appVersion: string;
  host: 'electron' | 'browser';
  /** Origin of the data gateway, e.g. http://127.0.0.1:41234 (allowed by the CSP's connect-src). */
  gatewayOrigin: string;
  /** Where keys typed for S3 sources are kept, in the user's words (encrypted by the OS keychain, or memory only and why). */
  credentialStorage?: string;
  /** Overrides the renderer's memory budget for one dataset load, in bytes (tests of scan mode); absent = the app's default. */
  memoryBudgetBytes?: number;
}

export interface OpenedDashboard {
  /** Absolute path of the file on the host. */
  path: string;
  /** The file's text, exactly as on disk. Parsing and validation happen in dashboards/. */
  text: string;
  /** SHA-256 of the file's bytes as read: the base a later save checks the disk against. */
  diskHash: string;
  /** SHA-256 of the canonical content (without the revision block); what trust is keyed by. Null when the text is not a loadable dashboard. */
  contentHash: string | null;
  /** This content was last saved on this machine, or the user trusted it here: its SQL may run. */
  trusted: boolean;
}

export interface SavedDashboard {
  path: string;
  /** The text written, with the new revision block stamped in. */
  text: string;
  diskHash: string;
  contentHash: string;
  revisionNumber: number;
  /** Whether the saved content may run its SQL here (saving alone never trusts unreviewed SQL). */
  trusted: boolean;
}

/** One entry of a dashboard's history, newest first in lists. */
export interface RevisionInfo {
  number: number;
  savedAt: string;
  savedBy: string;
  message: string | null;
  contentHash: string;
  parentHash: string | null;
  /** One-line semantic diff against the revision before it, e.g. "+1 panel, title changed". */
  summary: string;
}

/** Why a save was refused because the file changed on disk since it was opened. */
export interface SaveConflict {
  /** The revision now on disk, if the file there is a readable dashboard. */
  disk: { number: number; savedAt: string; savedBy: string; contentHash: string; parentHash: string | null } | null;
  /** Both the disk version and the one being saved were made from the same parent revision. */
  diverged: boolean;
}

export interface ConnectedSource {
  name: string;
  /** Plain gateway URL, http://127.0.0.1:PORT/TOKEN/..., the only thing DuckDB ever sees. */
  url: string;
  /** Every file of the source (a prefix or glob expands to many), read as one table; urls[0] === url. */
  urls: string[];
  /** Size in bytes: of the one object (a HEAD through the gateway), or the sum over a listed prefix or glob. */
  sizeBytes: number | null;
  /** Human description of where the data is, e.g. "s3://bucket/key at http://127.0.0.1:9000". */
  location: string;
  /**
   * Each file's identity and content version as validated upstream on this call (aligned with
   * `urls`; version null when unknown): what stored panel results are keyed by (persisted-results.ts).
   */
  versions?: { object: string; version: string | null }[];
}

/** One file of a source, as listed by `listSourceObjects`. */
export interface SourceObjectInfo {
  /** Where it is, for people: a path, s3://bucket/key or URL (never a gateway URL). */
  location: string;
  sizeBytes: number | null;
}

/** The files a source reads, without reading them. */
export interface SourceListing {
  /** The first files, sorted (at most 1,000; see `truncated`). */
  objects: SourceObjectInfo[];
  /** More files exist than `objects` holds. */
  truncated: boolean;
  /** How many files the source reads in all. */
  count: number;
  /** Their total size; null when any size is unknown. */
  totalBytes: number | null;
  /** Where the data is, as in `ConnectedSource.location`. */
  location: string;
}

/** One file a share wrote, relative to the share folder. */
export interface SharedFile {
  /** Relative path with "/" separators, e.g. `data/orders.parquet`. */
  path: string;
  bytes: number;
  kind: 'dashboard' | 'data' | 'history';
}

/** What `shareDashboard` wrote. */
export interface SharedDashboard {
  /** The absolute folder the share is in. */
  folder: string;
  /** The dashboard first, then data files, then history; files already there and identical count too. */
  files: SharedFile[];
  /** Sources of the shared copy that now read the copied files under data/ instead of their original place. */
  rewrittenSources: string[];
  /** Things the person sharing should know, e.g. a history file that was left out and why. */
  notes: string[];
}

/** What `listDataFolder` returns: folders first, then data files; hidden entries are never listed. */
export interface DataFolderListing {
  path: string;
  parent: string | null;
  entries: { name: string; kind: 'folder' | 'file'; path: string; sizeBytes: number | null; format: 'parquet' | 'csv' | 'json' | null }[];
  truncated: boolean;
  places: { label: string; path: string }[];
}

/** Where `importDataFile` put a dropped file. */
export interface ImportedDataFile {
  path: string;
  /** Relative to the dashboard's folder, "/" separated: what a source's path says. */
  relativePath: string;
  format: 'parquet' | 'csv' | 'json';
  /** A file of that name was there already, so the copy got another name. */
  renamed: boolean;
}

/** A new dashboard not saved yet: where it would be saved, and the data file resolved. */
export interface DraftDashboard {
  path: string;
  /** The data file as an absolute path, when one was given. */
  dataPath: string | null;
}

/** The link `openExternal` accepts: https only, no credentials in it; null for anything else. */
export function externalLink(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || !url.hostname) return null;
  return url.href;
}

/** An unsaved working copy remembered by `writeAutosave`. */
export interface AutosavedCopy {
  text: string;
  /** ISO time it was written. */
  savedAt: string;
  /** The disk version the edits started from; null for a draft never saved. */
  baseDiskHash: string | null;
}

/** The data gateway's disk cache (see `getCacheInfo`). */
export interface GatewayCacheInfo {
  /** False when this host reads upstream every time (no cache folder). */
  enabled: boolean;
  /** Bytes of downloaded data. */
  bytes: number;
  /** Bytes of stored panel results besides (see `storePanelResults`); absent when the host keeps none. */
  resultsBytes?: number;
  /** Its bound: least recently used blocks are evicted above it. */
  maxBytes: number;
}

/** What `clearCache` removed. */
export interface ClearedGatewayCache {
  enabled: boolean;
  freedBytes: number;
  /** Bytes of stored panel results removed with it; absent when the host keeps none. */
  freedResultsBytes?: number;
}

/**
 * A result value as stored: the engine's plain scalars (timestamps are epoch milliseconds). Numbers
 * first, as most values are: a union tries its options in order (a stored entry of 2,104 values
 * checked in 2–5 ms instead of 3–12 ms).
 */
const StoredScalar = z.union([z.number(), z.string().max(1_000_000), z.boolean(), z.null()]);

/**
 * Panel results stored on the host for one dataset over one exact version of its data (see
 * queries/persisted-results.ts, which builds the key and says which versions may be served).
 * Bounded so one call stays well under the browser host's request limit; the rows and results
 * bounds are queries/persisted-results.ts's MAX_STORED_ROWS and MAX_STORED_RESULTS_PER_ENTRY (this
 * contract may not import queries/; result-store.test.ts checks that they agree).
 */
export const StoredPanelResults = z
  .object({
    versions: z
      .array(z.array(z.object({ object: z.string().min(1).max(4096), version: z.string().min(1).max(1024) }).strict()).min(1).max(10_000))
      .min(1)
      .max(100),
    dataset: z
      .object({
        columns: z.array(z.string().max(1024)).max(10_000),
        newest: z.number().nullable(),
        rowCount: z.number().int().min(0),
      })
      .strict(),
    results: z
      .array(
        z
          .object({
            sql: z.string().min(1).max(200_000),
            result: z
              .object({
                columns: z.array(z.object({ name: z.string().max(1024), type: z.string().max(1024) }).strict()).max(10_000),
                rows: z.array(z.record(z.string().max(1024), StoredScalar)).max(10_000),
              })
              .strict(),
          })
          .strict(),
      )
      .max(200),
  })
  .strict();
export type StoredPanelResults = z.infer<typeof StoredPanelResults>;

/** The key of a stored entry: SHA-256 hex (also its file name on the host). */
const StoredResultsKey = z.string().regex(/^[0-9a-f]{64}$/);

/** The longest view a northstar:// link may carry (characters of its base64url `#view=` payload). */
export const MAX_LINK_VIEW_CHARS = 16_384;

/** Argument schemas of every host method; the main process and the browser host validate with these. */
export const hostApiArgs = {
  getAppInfo: z.tuple([]),
  /** Open a dashboard file; without a path, the bundled demo dashboard. */
  openDashboard: z.tuple([z.object({ path: z.string().min(1).max(4096).optional() }).strict()]),
  /**
   * Save a dashboard as a new revision: refuse with a `conflict` error when the file on disk is
   * not the one the editor started from (`baseDiskHash`; null = the file must not exist yet),
   * unless `force`. Stamps the revision block, writes atomically, records history, trusts it.
   */
  saveDashboard: z.tuple([
    z
      .object({
        path: z.string().min(1).max(4096),
        text: z.string().max(20 * 1024 * 1024),
        baseDiskHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
        message: z.string().max(2000).optional(),
        savedBy: z.string().min(1).max(200).optional(),
        force: z.boolean().optional(),
      })
      .strict(),
  ]),
  /** The history of a dashboard file, newest first. */
  listRevisions: z.tuple([z.object({ path: z.string().min(1).max(4096) }).strict()]),
  /** The full text of one revision from the history. */
  readRevision: z.tuple([z.object({ path: z.string().min(1).max(4096), contentHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict()]),
  /** Remember on this machine that the user reviewed and trusts this content (its SQL may run). */
  trustDashboard: z.tuple([z.object({ contentHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict()]),
  /**
   * Make a source declared by the open dashboard readable through the data gateway and check it
   * can be read (HEAD). Local paths resolve against the dashboard file's folder. A prefix, folder or
   * glob (an `s3` URI or local path ending in "/" or holding `*`, `?`, `[...]`) is listed and every
   * match mounted (at most 10,000); `urls` then lists them all.
   */
  connectSource: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096),
        source: Source,
        keys: AccessKeys.optional(),
      })
      .strict(),
  ]),
  /**
   * Forget the keys typed for an S3 source: in this session and, where they were stored, on disk
   * (the encrypted credentials file). `forgotten`: whether any were kept. Other sources have none.
   */
  forgetSourceKeys: z.tuple([z.object({ source: Source }).strict()]),
  /**
   * The files a source reads, without loading them: a prefix, folder or glob is listed, a single
   * file, object or URL is checked with a HEAD. `typedByUser`: the user entered this source in the
   * Data sources dialog, so a local pattern outside the dashboard's folder may be read in this session.
   */
  listSourceObjects: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096),
        source: Source,
        keys: AccessKeys.optional(),
        typedByUser: z.boolean().optional(),
      })
      .strict(),
  ]),
  /**
   * Copy the dashboard as saved on disk into `targetDir` (created if missing) for a colleague.
   * `withData`: also copy every file its sources read (local files, S3 objects, URLs) under data/
   * and point the copy's sources at them. `withHistory`: also copy its history. Never writes
   * outside `targetDir`, never copies credentials, and refuses (`conflict`) to replace an existing
   * file that differs. `keys`, per source name, sign S3 reads; without them, keys typed for that
   * source in this session, else the AWS profile and environment, as for connectSource.
   */
  shareDashboard: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096),
        targetDir: z.string().min(1).max(4096),
        withData: z.boolean(),
        withHistory: z.boolean(),
        keys: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(64), AccessKeys).optional(),
      })
      .strict(),
  ]),
  /**
   * Open an https: link the user clicked and confirmed, in the system browser (Electron:
   * `shell.openExternal`). Any other scheme is refused. `opened: false` means this host cannot open
   * links (the browser host: the page opens it itself, in a new tab).
   */
  openExternal: z.tuple([z.object({ url: z.string().min(1).max(4096) }).strict()]),
  /**
   * Ask the user for a dashboard file with the host's own file dialog: one to open, or where to
   * save a new dashboard or a copy. `path: null` when they cancel. A host without dialogs (the
   * browser host) fails with `badRequest`; the renderer then asks for a typed path instead.
   */
  pickDashboardFile: z.tuple([
    z.object({ purpose: z.enum(['open', 'new', 'saveAs']), suggestedPath: z.string().min(1).max(4096).optional() }).strict(),
  ]),
  /**
   * Ask the user for a local data file (Parquet, CSV, TSV, JSON) with the host's own file dialog,
   * starting in the dashboard's folder. `path: null` when they cancel. A host without dialogs (the
   * browser host) fails with `badRequest`; the renderer browses with `listDataFolder` instead.
   */
  pickDataFile: z.tuple([z.object({ dashboardPath: z.string().min(1).max(4096).optional() }).strict()]),
  /**
   * Ask the user for a folder (to share a dashboard into) with the host's own dialog, starting in
   * the dashboard's folder; the dialog may make a new one. `path: null` when they cancel. A host
   * without dialogs (the browser host) fails with `badRequest`; the renderer browses with
   * `listDataFolder` instead.
   */
  pickFolder: z.tuple([z.object({ dashboardPath: z.string().min(1).max(4096).optional() }).strict()]),
  /**
   * The folders and data files of a folder, for the in-app file browser: never hidden entries,
   * never other files. Without `folder`, the dashboard's folder (or home).
   */
  listDataFolder: z.tuple([z.object({ folder: z.string().min(1).max(4096).optional(), dashboardPath: z.string().min(1).max(4096).optional() }).strict()]),
  /**
   * Copy a data file dropped on the page (its bytes, base64) into the dashboard folder's data/,
   * never replacing a file (a taken name gets " (2)"). At most 12 MB.
   */
  importDataFile: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096),
        name: z.string().min(1).max(255),
        base64: z.string().max(17 * 1024 * 1024),
      })
      .strict(),
  ]),
  /**
   * Start a new, unsaved dashboard for a data file: proposes a free `<name>.dashboard.json` in the
   * data file's folder (or next to `dashboardPath` for S3/URL data), lets sources connect for it,
   * and opens the data file's folder to the gateway (the user chose the file). Nothing is written.
   */
  startDraftDashboard: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096).optional(),
        dataPath: z.string().min(1).max(4096).optional(),
        stem: z.string().min(1).max(120),
      })
      .strict(),
  ]),
  /**
   * Remember the unsaved working copy of a dashboard apart from its file and revisions
   * (`<home>/autosave/`), written atomically after a quiet moment. Offered back by `readAutosave`
   * when the dashboard is opened again; removed by `discardAutosave` (on save or discard).
   */
  writeAutosave: z.tuple([
    z
      .object({
        dashboardPath: z.string().min(1).max(4096),
        text: z.string().max(20 * 1024 * 1024),
        baseDiskHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
      })
      .strict(),
  ]),
  /** The autosaved working copy of a dashboard, or null when there is none. */
  readAutosave: z.tuple([z.object({ dashboardPath: z.string().min(1).max(4096) }).strict()]),
  /** Forget a dashboard's autosave (it was saved, or the user discarded it). */
  discardAutosave: z.tuple([z.object({ dashboardPath: z.string().min(1).max(4096) }).strict()]),
  /** How much the data gateway's disk cache of S3 objects and URLs holds now. */
  getCacheInfo: z.tuple([]),
  /**
   * Empty the data gateway's disk cache; says what it freed. Reads in progress keep correct bytes
   * (blocks being downloaded reach their readers but are not stored); the next read goes upstream.
   */
  clearCache: z.tuple([]),
  /** The panel results stored for this key (a dataset over one exact data version), or null. */
  readPanelResults: z.tuple([z.object({ key: StoredResultsKey }).strict()]),
  /**
   * Store panel results under this key: merged into the entry (the same SQL replaces its result),
   * bounded in size with the least recently used entries going first. Kept in the host's cache
   * folder and emptied by `clearCache`.
   */
  storePanelResults: z.tuple([z.object({ key: StoredResultsKey, entry: StoredPanelResults }).strict()]),
  /**
   * Desktop only (a host without windows of its own leaves it out; the call then fails with
   * `badRequest` and the page opens a browser tab itself): show a dashboard in a window of its
   * own, or focus the window that has it open already. Without `path`, a new window with nothing
   * open. `view`: a view to show there (base64url, as in a northstar:// link).
   */
  openWindow: z.tuple([
    z
      .object({
        path: z.string().min(1).max(4096).optional(),
        view: z.string().min(1).max(MAX_LINK_VIEW_CHARS).regex(/^[A-Za-z0-9_-]+$/).optional(),
      })
      .strict(),
  ]),
  /**
   * Desktop only (see openWindow): what the calling window shows, so that a file the OS hands over
   * goes to the window that has it open, and never replaces unsaved edits (it gets a new window).
   */
  setWindowDocument: z.tuple([z.object({ path: z.string().min(1).max(4096).nullable(), dirty: z.boolean() }).strict()]),
} as const;

export type HostMethod = keyof typeof hostApiArgs;
export const hostMethods = Object.keys(hostApiArgs) as HostMethod[];

/** The typed host API. Every method returns a Promise; errors arrive as `HostError`. */
export interface HostApi {
  getAppInfo(): Promise<AppInfo>;
  openDashboard(req: z.infer<(typeof hostApiArgs)['openDashboard']>[0]): Promise<OpenedDashboard>;
  saveDashboard(req: z.infer<(typeof hostApiArgs)['saveDashboard']>[0]): Promise<SavedDashboard>;
  listRevisions(req: z.infer<(typeof hostApiArgs)['listRevisions']>[0]): Promise<RevisionInfo[]>;
  readRevision(req: z.infer<(typeof hostApiArgs)['readRevision']>[0]): Promise<{ text: string }>;
  trustDashboard(req: z.infer<(typeof hostApiArgs)['trustDashboard']>[0]): Promise<void>;
  connectSource(req: z.infer<(typeof hostApiArgs)['connectSource']>[0]): Promise<ConnectedSource>;
  listSourceObjects(req: z.infer<(typeof hostApiArgs)['listSourceObjects']>[0]): Promise<SourceListing>;
  forgetSourceKeys(req: z.infer<(typeof hostApiArgs)['forgetSourceKeys']>[0]): Promise<{ forgotten: boolean }>;
  shareDashboard(req: z.infer<(typeof hostApiArgs)['shareDashboard']>[0]): Promise<SharedDashboard>;
  openExternal(req: z.infer<(typeof hostApiArgs)['openExternal']>[0]): Promise<{ opened: boolean }>;
  pickDashboardFile(req: z.infer<(typeof hostApiArgs)['pickDashboardFile']>[0]): Promise<{ path: string | null }>;
  pickDataFile(req: z.infer<(typeof hostApiArgs)['pickDataFile']>[0]): Promise<{ path: string | null }>;
  pickFolder(req: z.infer<(typeof hostApiArgs)['pickFolder']>[0]): Promise<{ path: string | null }>;
  listDataFolder(req: z.infer<(typeof hostApiArgs)['listDataFolder']>[0]): Promise<DataFolderListing>;
  importDataFile(req: z.infer<(typeof hostApiArgs)['importDataFile']>[0]): Promise<ImportedDataFile>;
  startDraftDashboard(req: z.infer<(typeof hostApiArgs)['startDraftDashboard']>[0]): Promise<DraftDashboard>;
  writeAutosave(req: z.infer<(typeof hostApiArgs)['writeAutosave']>[0]): Promise<{ savedAt: string }>;
  readAutosave(req: z.infer<(typeof hostApiArgs)['readAutosave']>[0]): Promise<AutosavedCopy | null>;
  discardAutosave(req: z.infer<(typeof hostApiArgs)['discardAutosave']>[0]): Promise<void>;
  getCacheInfo(): Promise<GatewayCacheInfo>;
  clearCache(): Promise<ClearedGatewayCache>;
  readPanelResults(req: z.infer<(typeof hostApiArgs)['readPanelResults']>[0]): Promise<StoredPanelResults | null>;
  storePanelResults(req: z.infer<(typeof hostApiArgs)['storePanelResults']>[0]): Promise<void>;
  /** Desktop only: absent in the browser host (its client still has it, and gets `badRequest`). */
  openWindow?(req: z.infer<(typeof hostApiArgs)['openWindow']>[0]): Promise<{ opened: boolean }>;
  /** Desktop only, like openWindow. */
  setWindowDocument?(req: z.infer<(typeof hostApiArgs)['setWindowDocument']>[0]): Promise<void>;
}

// Compile-time check that the interface and the argument table list the same methods.
type _SameMethods = [Exclude<keyof HostApi, HostMethod>, Exclude<HostMethod, keyof HostApi>] extends [never, never]
  ? true
  : never;
const _sameMethods: _SameMethods = true;
void _sameMethods;

/** Error codes a host method may fail with; the UI switches on these. */
export type HostErrorCode =
  | 'badRequest'
  | 'notFound'
  | 'accessDenied'
  | 'noSuchBucket'
  | 'credentials'
  | 'network'
  | 'tooLarge'
  | 'conflict'
  | 'internal';

/** How an error crosses the boundary: plain data, never a stack. */
export interface SerializedHostError {
  name: 'HostError';
  code: HostErrorCode;
  message: string;
  /** For `conflict`: what is on disk now. */
  conflict?: SaveConflict;
}

/** A typed error raised by host services and re-created on the renderer side. */
export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
    readonly conflict?: SaveConflict,
  ) {
    super(message);
  }

  toJSON(): SerializedHostError {
    return { name: 'HostError', code: this.code, message: this.message, ...(this.conflict ? { conflict: this.conflict } : {}) };
  }

  static from(value: unknown): HostError {
    if (value instanceof HostError) return value;
    if (isSerializedHostError(value)) return new HostError(value.code, value.message, value.conflict);
    return new HostError('internal', value instanceof Error ? value.message : String(value));
  }
}

export function isSerializedHostError(value: unknown): value is SerializedHostError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'HostError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Validate raw arguments from a transport; throws HostError('badRequest') naming the method. */
export function parseHostArgs<M extends HostMethod>(method: M, args: unknown): z.infer<(typeof hostApiArgs)[M]> {
  const schema = hostApiArgs[method];
  const result = schema.safeParse(args);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first?.path.length ? ` at ${first.path.join('.')}` : '';
    throw new HostError('badRequest', `Bad arguments to ${method}${where}: ${first?.message ?? 'invalid'}`);
  }
  return result.data as z.infer<(typeof hostApiArgs)[M]>;
}

/** The envelope every transport returns: a value or a serialized error. */
export type HostReply = { ok: true; value: unknown } | { ok: false; error: SerializedHostError };

/** Call a service method on behalf of a transport: validate, run, wrap the result. */
export async function dispatchHostCall(api: HostApi, method: string, args: unknown): Promise<HostReply> {
  try {
    if (!(hostMethods as string[]).includes(method)) {
      throw new HostError('badRequest', `Unknown host method: ${method.slice(0, 64)}`);
    }
    const m = method as HostMethod;
    const parsed = parseHostArgs(m, args) as unknown[];
    const fn = api[m] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    // The desktop-only methods are optional: a host without them says so instead of crashing.
    if (typeof fn !== 'function') throw new HostError('badRequest', `${m} is not available in this host.`);
    const value = await fn.apply(api, parsed);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: HostError.from(err).toJSON() };
  }
}

/** Build a HostApi client from a function that carries one call over some transport. */
export function createHostClient(send: (method: HostMethod, args: unknown[]) => Promise<HostReply>): HostApi {
  const client = {} as Record<HostMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of hostMethods) {
    client[method] = async (...args: unknown[]) => {
      const reply = await send(method, args);
      if (!reply.ok) throw HostError.from(reply.error);
      return reply.value;
    };
  }
  return client as unknown as HostApi;
}

/**
 * Ids of the app's commands that the host can ask the renderer to run (native menus send them).
 * The renderer's command registry (renderer/src/commands.ts) implements every one.
 */
export const HOST_COMMAND_IDS = [
  'file.new',
  'file.open',
  'file.save',
  'file.saveAs',
  'edit.undo',
  'edit.redo',
  'edit.find',
  'data.reload',
  'data.clearCache',
  'app.about',
  'app.commandPalette',
] as const;
export type HostCommandId = (typeof HOST_COMMAND_IDS)[number];


/**
 * Events the host pushes to the renderer (Electron only: main -> preload -> page), validated on
 * arrival like calls are on the way in. `openFile`: a dashboard given on a second launch, by the
 * OS (macOS open-file), a northstar:// link (with the link's view) or from File > Open Recent;
 * `command`: a native menu item.
 */
export const HostEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('command'), id: z.enum(HOST_COMMAND_IDS) }).strict(),
  z
    .object({
      kind: z.literal('openFile'),
      path: z.string().min(1).max(4096),
      // From a northstar:// link: the view to show once the file is open (the base64url payload of `#view=`).
      view: z.string().min(1).max(MAX_LINK_VIEW_CHARS).regex(/^[A-Za-z0-9_-]+$/).optional(),
    })
    .strict(),
]);
export type HostEvent = z.infer<typeof HostEvent>;
/** The one IPC channel host events travel on, main to renderer. */
export const HOST_EVENT_CHANNEL = 'northstar-event';
/** The name under which the preload exposes `{ subscribe(listener): unsubscribe }` for host events. */
export const HOST_EVENTS_GLOBAL = 'northstarHostEvents';

/**
 * The name under which the Electron preload exposes `{ pathForFile(file) }` (Electron's
 * `webUtils.getPathForFile`): the local path of a file dropped on the page. Absent in the browser host.
 */
export const HOST_FILES_GLOBAL = 'northstarFiles';
/** The name under which the Electron preload exposes the host API on `window`. */
export const HOST_API_GLOBAL = 'northstarHost';
/** Prefix of the IPC channels; the channel of a method is `${IPC_PREFIX}${method}`. */
export const IPC_PREFIX = 'northstar:';
/** The header that carries the browser host's per-launch token. */
export const BROWSER_HOST_TOKEN_HEADER = 'x-northstar-token';

/**
 * What a page is launched to show, carried in its URL fragment next to the browser host's token:
 * `#file=<path, URI-encoded>&view=<base64url>`, or `#start` for a window with no dashboard open.
 * The desktop app loads each window with one; the browser host opens a new tab with one.
 */
export interface LaunchFragment {
  file?: string;
  view?: string;
  start?: boolean;
}

/** The fragment parameters (without "#") for a launch; join with others by "&". */
export function encodeLaunchFragment(launch: LaunchFragment): string {
  const parts: string[] = [];
  if (launch.file !== undefined) parts.push(`file=${encodeURIComponent(launch.file)}`);
  if (launch.view !== undefined) parts.push(`view=${launch.view}`);
  if (launch.start && launch.file === undefined) parts.push('start');
  return parts.join('&');
}

/** The launch a URL fragment ("#token=...&file=...&view=...") asks for; malformed parts are ignored. */
export function parseLaunchFragment(hash: string): LaunchFragment {
  const out: LaunchFragment = {};
  for (const part of hash.replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (key === 'file' && value && out.file === undefined) {
      try {
        const file = decodeURIComponent(value);
        if (file.length <= 4096 && !/[\u0000-\u001f]/.test(file)) out.file = file;
      } catch {
        // A broken %-escape: not a path anyone meant.
      }
    } else if (key === 'view' && /^[A-Za-z0-9_-]+$/.test(value) && value.length <= MAX_LINK_VIEW_CHARS && out.view === undefined) {
      out.view = value;
    } else if (key === 'start' && eq === -1) {
      out.start = true;
    }
  }
  if (out.file !== undefined) delete out.start;
  return out;
}
