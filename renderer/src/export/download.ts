// Save a file the way a browser does: an object URL and a temporary `<a download>`. The browser
// host downloads it; Electron shows its save dialog (the session's default `will-download`).

/** How long the object URL outlives the click: Chromium reads it at once, Firefox a moment later. */
const REVOKE_AFTER_MS = 1_000;

/** Hand a Blob to the browser as a download named `fileName`. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}
