// The host side of the typed host API, as plain Node: both the Electron main process and the
// browser host serve exactly this object. It never imports electron.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError, type AccessKeys, type AppInfo, type ConnectedSource, type HostApi, type OpenedDashboard } from '../api/host-api';
import type { S3Source, Source } from '../../dashboards/schema';
import { MAX_DASHBOARD_BYTES } from '../../dashboards/document';
import type { DataGateway } from './data-gateway';
import { writeFileAtomic } from './atomic-write';

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
}

/** Create the host API implementation over a running data gateway. */
export function createHostServices(opts: HostServicesOptions): HostApi {
  const defaultPath = opts.defaultDashboardPath ?? DEMO_DASHBOARD_PATH;
  // Dashboards the renderer has opened or saved in this session; sources resolve relative to them.
  const knownDashboards = new Set<string>();
  // Keys the user typed, remembered for this session only (in memory), per source location, so a
  // refresh does not ask again. The renderer never gets them back.
  const typedKeys = new Map<string, AccessKeys>();

  return {
    async getAppInfo() {
      return { appVersion: opts.appVersion, host: opts.host, gatewayOrigin: opts.gateway.origin };
    },

    async openDashboard({ path: requested }): Promise<OpenedDashboard> {
      const file = path.resolve(requested ?? defaultPath);
      const text = await readDashboardText(file);
      knownDashboards.add(file);
      return { path: file, text };
    },

    async saveDashboard({ path: target, text }) {
      const file = path.resolve(target);
      if (!file.endsWith('.json')) throw new HostError('badRequest', `Dashboards are saved as .json files, not ${path.basename(file)}.`);
      await writeFileAtomic(file, text);
      knownDashboards.add(file);
      return { path: file };
    },

    async connectSource({ dashboardPath, source, keys }): Promise<ConnectedSource> {
      const dashboardFile = path.resolve(dashboardPath);
      if (!knownDashboards.has(dashboardFile)) {
        throw new HostError('badRequest', 'Sources can only be connected for a dashboard opened in this session.');
      }
      const remembered = source.kind === 's3' ? sourceIdentity(source) : null;
      if (remembered && keys) typedKeys.set(remembered, keys);
      const useKeys = keys ?? (remembered ? typedKeys.get(remembered) : undefined);
      const { url, location } = mountSource(opts.gateway, source, dashboardFile, useKeys);
      try {
        const info = await opts.gateway.head(url);
        return { name: source.name, url, sizeBytes: info.sizeBytes, location };
      } catch (err) {
        const e = HostError.from(err);
        throw new HostError(e.code, `Data source "${source.name}": ${e.message}`);
      }
    },
  };
}

function sourceIdentity(source: S3Source): string {
  return JSON.stringify([source.uri, source.endpoint ?? '', source.region ?? '', source.profile ?? '']);
}

async function readDashboardText(file: string): Promise<string> {
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
  return fs.readFile(file, 'utf8');
}

function mountSource(gateway: DataGateway, source: Source, dashboardFile: string, keys: Parameters<DataGateway['addS3Object']>[0]['keys']) {
  switch (source.kind) {
    case 'file': {
      const abs = path.resolve(path.dirname(dashboardFile), source.path);
      return { url: gateway.addLocalFile(abs), location: abs };
    }
    case 's3': {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source.uri);
      if (!match) throw new HostError('badRequest', `Data source "${source.name}": ${source.uri} is not an s3://bucket/key URI.`);
      const [, bucket, key] = match as unknown as [string, string, string];
      const url = gateway.addS3Object({
        bucket,
        key,
        endpoint: source.endpoint,
        region: source.region,
        profile: source.profile,
        pathStyle: source.pathStyle,
        keys,
      });
      return { url, location: source.endpoint ? `${source.uri} at ${source.endpoint}` : source.uri };
    }
    case 'url':
      throw new HostError('badRequest', `Data source "${source.name}": plain URL sources are not supported yet; use a local file or S3.`);
  }
}
