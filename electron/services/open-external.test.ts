// openExternal: only https links leave the app, and only through the opener the host was given.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalLink, HostError } from '../api/host-api';
import { DataGateway } from './data-gateway';
import { createHostServices } from './host-services';

let gateway: DataGateway;
let home: string;
beforeAll(async () => {
  gateway = await DataGateway.start();
  home = mkdtempSync(path.join(os.tmpdir(), 'northstar-open-external-'));
});
afterAll(async () => {
  await gateway.close();
  rmSync(home, { recursive: true, force: true });
});

describe('externalLink', () => {
  it('accepts https only, normalized', () => {
    expect(externalLink('https://Example.com/a b?x=1#y')).toBe('https://example.com/a%20b?x=1#y');
    for (const bad of ['http://example.com/', 'javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'mailto:a@b.c', '//example.com', 'example.com', 'https://user:pw@example.com/', ' ']) {
      expect(externalLink(bad), bad).toBeNull();
    }
  });
});

describe('openExternal', () => {
  it('hands a checked https URL to the opener and says it opened', async () => {
    const calls: string[] = [];
    const api = createHostServices({ host: 'electron', appVersion: '0', gateway, homeDir: home, openExternal: async (url) => void calls.push(url) });
    await expect(api.openExternal({ url: 'https://example.com/docs' })).resolves.toEqual({ opened: true });
    expect(calls).toEqual(['https://example.com/docs']);
  });

  it('refuses other schemes with a clear error and never calls the opener', async () => {
    const calls: string[] = [];
    const api = createHostServices({ host: 'electron', appVersion: '0', gateway, homeDir: home, openExternal: async (url) => void calls.push(url) });
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'http://example.com/']) {
      const err = await api.openExternal({ url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostError);
      expect((err as HostError).code).toBe('badRequest');
      expect((err as HostError).message).toContain('Only https links can be opened');
    }
    expect(calls).toEqual([]);
  });

  it('without an opener (the browser host) reports that it did not open', async () => {
    const api = createHostServices({ host: 'browser', appVersion: '0', gateway, homeDir: home });
    await expect(api.openExternal({ url: 'https://example.com/' })).resolves.toEqual({ opened: false });
  });
});
