// Page object for panel exports: each panel's "⋯" menu and the files it downloads.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page } from '@playwright/test';
import type { DashboardPage } from './dashboard-page';

/** Where downloaded exports are kept for a look after the run. */
export const EXPORT_ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'exports');

export interface DownloadedFile {
  /** The name the app suggested. */
  fileName: string;
  /** Where it was saved, under e2e/artifacts/exports. */
  path: string;
  bytes: Buffer;
}

export class ExportPage {
  constructor(
    readonly page: Page,
    private readonly dashboard: DashboardPage,
  ) {}

  /** The "⋯" button in a panel's header; its name carries the panel's title. */
  async menuButton(panelId: string): Promise<Locator> {
    const title = (await this.dashboard.panelTitle(panelId).innerText()).trim();
    return this.dashboard.panel(panelId).getByRole('button', { name: `Panel menu for ${title}`, exact: true });
  }

  /** The export menu (named "Export <title>", apart from the chart's drill menu). */
  menu(panelId: string): Locator {
    return this.dashboard.panel(panelId).getByRole('menu', { name: /^Export / });
  }

  menuItem(panelId: string, name: string): Locator {
    return this.menu(panelId).getByRole('menuitem', { name, exact: true });
  }

  /** Open a panel's menu with the mouse. */
  async openMenu(panelId: string): Promise<Locator> {
    await (await this.menuButton(panelId)).click();
    const menu = this.menu(panelId);
    await expect(menu).toBeVisible();
    return menu;
  }

  /** Choose a menu entry and keep the file it downloads. */
  async download(panelId: string, item: string): Promise<DownloadedFile> {
    await this.openMenu(panelId);
    return this.saveDownload(() => this.menuItem(panelId, item).click());
  }

  /** Run `trigger` (a click or a key press) and save the download it starts. */
  async saveDownload(trigger: () => Promise<void>): Promise<DownloadedFile> {
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 60_000 }), trigger()]);
    mkdirSync(EXPORT_ARTIFACTS, { recursive: true });
    const fileName = download.suggestedFilename();
    const saved = path.join(EXPORT_ARTIFACTS, fileName);
    await download.saveAs(saved);
    return { fileName, path: saved, bytes: readFileSync(saved) };
  }
}

/** Parse CSV text (RFC 4180: quoted fields, doubled quotes, CRLF records) into records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || fields.length > 0) records.push([...fields, field]);
  return records;
}

/** Width and height of a PNG, from its IHDR chunk (after the 8-byte signature). */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
