// A link in a text panel never navigates by itself: the reader sees the full address and confirms.
// Only https links open (Electron: the system browser through the host; the browser host: a new
// tab without an opener); anything else can only be copied.
import { useEffect, useRef, useState } from 'react';
import { externalLink } from '../../../electron/api/host-api';
import type { ActionDeps } from '../actions/dashboard-actions';

export function OpenLinkDialog({ url, deps, onClose }: { url: string; deps: ActionDeps | undefined; onClose: () => void }) {
  const link = externalLink(url);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();

  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const open = async () => {
    if (!link) return;
    try {
      const reply = deps ? await deps.host.openExternal({ url: link }) : { opened: false };
      // The browser host cannot open the system browser: this page is already in one.
      if (!reply.opened) window.open(link, '_blank', 'noopener,noreferrer');
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setError('The address could not be copied: select it above and copy it by hand.');
    }
  };

  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="open-link-title" aria-describedby="open-link-text">
        <h2 id="open-link-title">{link ? `Open a link to ${host}?` : 'This link cannot be opened'}</h2>
        <p id="open-link-text">
          {link
            ? 'This link comes from the dashboard file. It opens outside Northstar, in your web browser:'
            : 'Only https links open from a dashboard. You can copy the address:'}
        </p>
        <p>
          <code className="link-target" data-testid="link-target">
            {url}
          </code>
        </p>
        {error && (
          <p className="warn-text" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          {link && (
            <button type="button" className="primary" onClick={() => void open()}>
              Open link
            </button>
          )}
          <button type="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy address'}
          </button>
          <button type="button" className="ghost" ref={cancelRef} onClick={onClose}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
