// "Print / Save as PDF…": the whole dashboard as a report, through the browser's (or Electron's)
// own print dialog, which also saves PDFs. print.css turns the screen into the report; this adds
// the print time and names the PDF after the dashboard.
// "Save as PNG…" draws the same report into one image (export/report-image.ts).
import { useEffect, useState } from 'react';
import { createPortal, flushSync } from 'react-dom';
import { downloadBlob } from '../export/download';
import { fileStem } from '../export/file-name';
import { formatTimestamp } from '../format';
import { useStore } from '../store';
import '../print.css';

/** The print time and document title for every print (also Ctrl+P): mounted once, always. */
export function PrintStamp() {
  const title = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.title ?? null);
  const [printedAt, setPrintedAt] = useState(() => Date.now());

  useEffect(() => {
    let screenTitle: string | null = null;
    // Also for Ctrl+P and for prints the app did not start: the stamp is always the print's time.
    const before = () => {
      flushSync(() => setPrintedAt(Date.now()));
      if (title) {
        screenTitle = document.title;
        // "Save as PDF" proposes the document's title as the file name.
        document.title = title;
      }
    };
    const after = () => {
      if (screenTitle !== null) document.title = screenTitle;
      screenTitle = null;
    };
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
      after();
    };
  }, [title]);

  // Outside the top bar (hidden in print), placed at the top right of the first page by print.css.
  return createPortal(
    <div className="print-only print-stamp" data-testid="print-stamp">
      Printed {formatTimestamp(printedAt, true)} UTC
    </div>,
    document.body,
  );
}

/** "Print / Save as PDF…": the browser's (or Electron's) print dialog, which also saves PDFs. */
export function PrintReportButton({ onDone }: { onDone?: () => void }) {
  return (
    <button
      type="button"
      onClick={() => {
        onDone?.();
        window.print();
      }}
      title="Print the dashboard, or save it as a PDF from the print dialog"
    >
      Print / Save as PDF…
    </button>
  );
}

/** Save the dashboard on screen as one PNG image, named after it; failures become a notice. */
export async function saveReportPng(): Promise<void> {
  const { viewing, dashboard, setNotice } = useStore.getState();
  const title = (viewing?.dashboard ?? dashboard)?.title ?? 'dashboard';
  const root = document.querySelector<HTMLElement>('.app');
  if (!root) return;
  try {
    // Loaded on first use: the image library is not part of the window's start.
    const { dashboardReportPng } = await import('../export/report-image');
    const blob = await dashboardReportPng(root, `Exported ${formatTimestamp(Date.now(), true)} UTC`);
    downloadBlob(blob, `${fileStem(title) || 'dashboard'}.png`);
  } catch (err) {
    setNotice({ tone: 'error', text: `The report image could not be made: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** "Save as PNG…": the dashboard as one image, as the printed report shows it. */
export function ReportPngButton({ onDone }: { onDone?: () => void }) {
  const [busy, setBusy] = useState(false);
  const save = async () => {
    onDone?.();
    setBusy(true);
    try {
      await saveReportPng();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" onClick={() => void save()} disabled={busy} title="Save the whole dashboard as one PNG image">
      {busy ? 'Saving PNG…' : 'Save as PNG…'}
    </button>
  );
}
