// File names for downloads, from panel titles: safe on Windows, macOS and Linux, readable in any script.

export type ExportExtension = 'csv' | 'png' | 'svg';

const MAX_STEM = 80;
// Names Windows refuses whatever the extension (`con.csv` cannot be created).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** A title as a file name stem: `Revenue by campaign` → `revenue-by-campaign`; '' if nothing is left. */
export function fileStem(title: string): string {
  const stem = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // é → e, but 東京 stays
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  const cut = Array.from(stem).slice(0, MAX_STEM).join('').replace(/-+$/, '');
  return WINDOWS_RESERVED.test(cut) ? `${cut}-panel` : cut;
}

/** The download name of a panel export: from its title, else its id, else `panel`. */
export function exportFileName(panel: { id: string; title: string }, ext: ExportExtension): string {
  return `${fileStem(panel.title) || fileStem(panel.id) || 'panel'}.${ext}`;
}
