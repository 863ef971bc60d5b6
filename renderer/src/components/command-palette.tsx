// The command palette (Ctrl/Cmd+K): every command of the registry plus "go to panel" entries,
// fuzzy-searched, run with Enter or a click, keyboard navigable, closed with Esc. Where the host
// has no file dialog it also asks for a typed path (Open, New, Save as). And the About dialog.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { DUCKDB_LIBRARY_VERSION, DUCKDB_WASM_VERSION } from '../../../queries/engine/duckdb-version';
import type { AppInfo } from '../../../electron/api/host-api';
import type { ActionDeps } from '../actions/dashboard-actions';
import { COMMANDS, formatShortcut, runCommand, searchCommands, useCommandUi, usePath, type Command, type PathPurpose } from '../commands';
import { useStore } from '../store';
import { DataCacheRow } from './data-cache';
import { NoticesDialog } from './notices-dialog';
import './command-palette.css';

const MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** Mounts the palette and About dialog, and binds Ctrl/Cmd+K. */
export function CommandPalette({ deps }: { deps: ActionDeps }) {
  const palette = useCommandUi((s) => s.palette);
  const about = useCommandUi((s) => s.about);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        // Opening is idempotent: the desktop menu's accelerator may deliver the same request.
        if (!useCommandUi.getState().palette) useCommandUi.getState().setPalette({ mode: 'commands', query: '' });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      {palette?.mode === 'commands' && <CommandList deps={deps} initialQuery={palette.query} />}
      {palette?.mode === 'path' && <PathPrompt deps={deps} purpose={palette.purpose} />}
      {about && <AboutDialog deps={deps} />}
    </>
  );
}

interface Entry {
  id: string;
  title: string;
  shortcut?: string;
  enabled: boolean;
  run(): void;
}

function CommandList({ deps, initialQuery }: { deps: ActionDeps; initialQuery: string }) {
  const [query, setQuery] = useState(initialQuery);
  const [active, setActive] = useState(0);
  const [desktop, setDesktop] = useState(false);
  const listRef = useRef<HTMLUListElement>(null);
  const restoreFocus = useRef<Element | null>(document.activeElement);
  // Every store change may enable or disable a command; the palette is short-lived, so it simply
  // re-renders with the store while open.
  const state = useStore();
  const close = () => {
    useCommandUi.getState().setPalette(null);
    if (restoreFocus.current instanceof HTMLElement) restoreFocus.current.focus();
  };

  useEffect(() => {
    let live = true;
    deps.host.getAppInfo().then(
      (info) => live && setDesktop(info.host === 'electron'),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [deps]);

  const entries = useMemo((): Entry[] => {
    const panels: Command[] = (state.viewing?.dashboard ?? state.dashboard)?.panels.map((p) => ({
      id: `panel.goto.${p.id}`,
      title: `Go to panel: ${p.title}`,
      keywords: `${p.kind} find`,
      enabled: () => true,
      run: () => goToPanel(p.id),
    })) ?? [];
    const found = searchCommands([...COMMANDS.filter((c) => c.id !== 'app.commandPalette'), ...panels], query);
    const toEntry = (c: Command): Entry => ({
      id: c.id,
      title: c.title,
      ...(c.shortcut && (desktop || !c.desktopShortcut) ? { shortcut: formatShortcut(c.shortcut, MAC) } : {}),
      enabled: c.enabled(state),
      run: () => {
        close();
        if (c.id.startsWith('panel.goto.')) void c.run(deps);
        else void runCommand(deps, c.id);
      },
    });
    // Enabled first, each group in search order: Enter runs something that can run.
    const all = found.map(toEntry);
    return [...all.filter((e) => e.enabled), ...all.filter((e) => !e.enabled)];
    // close() only touches refs and the command store, so it need not be a dependency.
  }, [state, query, desktop, deps]);

  const current = Math.min(active, Math.max(0, entries.length - 1));
  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${current}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current]);

  const onKeyDown = (e: ReactKeyboardEvent) => {
    const move = (to: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(entries.length - 1, to)));
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(current + 1 >= entries.length ? 0 : current + 1);
      case 'ArrowUp':
        return move(current - 1 < 0 ? entries.length - 1 : current - 1);
      case 'PageDown':
        return move(current + 8);
      case 'PageUp':
        return move(current - 8);
      case 'Home':
        if (e.ctrlKey) return move(0);
        return;
      case 'End':
        if (e.ctrlKey) return move(entries.length - 1);
        return;
      case 'Enter': {
        e.preventDefault();
        const entry = entries[current];
        if (entry?.enabled) entry.run();
        return;
      }
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        close();
        return;
    }
  };

  const optionId = (i: number) => `palette-option-${i}`;
  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" onKeyDown={onKeyDown}>
        <input
          className="palette-input"
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-autocomplete="list"
          aria-activedescendant={entries.length ? optionId(current) : undefined}
          aria-label="Search commands"
          placeholder="Type a command or a panel name…"
          autoFocus
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
        />
        <ul className="palette-list" id="palette-list" role="listbox" aria-label="Commands" ref={listRef}>
          {entries.map((entry, i) => (
            <li
              key={entry.id}
              id={optionId(i)}
              data-index={i}
              data-command-id={entry.id}
              role="option"
              aria-selected={i === current}
              aria-disabled={!entry.enabled}
              className={`palette-option${i === current ? ' active' : ''}${entry.enabled ? '' : ' disabled'}`}
              onMouseMove={() => i !== current && setActive(i)}
              onClick={() => entry.enabled && entry.run()}
            >
              <span className="palette-title">{entry.title}</span>
              {entry.shortcut && <kbd className="palette-shortcut">{entry.shortcut}</kbd>}
            </li>
          ))}
          {entries.length === 0 && (
            <li className="palette-empty" role="presentation">
              No command matches “{query}”.
            </li>
          )}
        </ul>
      </div>
    </div>
  );
}

function goToPanel(id: string): void {
  const el = document.querySelector<HTMLElement>(`[data-panel-id="${CSS.escape(id)}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: true });
}

const PATH_PROMPTS: Record<PathPurpose, { label: string; action: string }> = {
  open: { label: 'Path of the dashboard file to open', action: 'Open' },
  openInNewWindow: { label: 'Path of the dashboard file to open in a new window', action: 'Open' },
  new: { label: 'Path of the new dashboard file (…/name.dashboard.json)', action: 'Create' },
  saveAs: { label: 'Save this dashboard as (…/name.dashboard.json)', action: 'Save' },
};

function PathPrompt({ deps, purpose }: { deps: ActionDeps; purpose: PathPurpose }) {
  const current = useStore((s) => s.path);
  const folder = current ? current.slice(0, Math.max(current.lastIndexOf('/'), current.lastIndexOf('\\')) + 1) : '';
  const [value, setValue] = useState(folder);
  const prompt = PATH_PROMPTS[purpose];
  const close = () => useCommandUi.getState().setPalette(null);
  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <form
        className="palette"
        role="dialog"
        aria-modal="true"
        aria-label={prompt.label}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            close();
          }
        }}
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          close();
          void usePath(deps, purpose, value);
        }}
      >
        <label className="palette-path">
          <span>{prompt.label}</span>
          <input className="palette-input" autoFocus value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} />
        </label>
        <div className="palette-path-actions">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!value.trim()}>
            {prompt.action}
          </button>
        </div>
      </form>
    </div>
  );
}

const LICENSE_URL = 'https://www.apache.org/licenses/LICENSE-2.0';

/** Versions of the app and what it is built on; in the browser host the browser stands in for Electron. */
export function AboutDialog({ deps }: { deps: ActionDeps }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notices, setNotices] = useState(false);
  const close = () => useCommandUi.getState().setAbout(false);
  useEffect(() => {
    let live = true;
    deps.host.getAppInfo().then(
      (i) => live && setInfo(i),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [deps]);
  const ua = navigator.userAgent;
  const electron = /\bElectron\/([\d.]+)/.exec(ua)?.[1] ?? null;
  const chromium = /Chrom(?:e|ium)\/([\d.]+)/.exec(ua)?.[1] ?? null;
  const openLicense = async () => {
    try {
      const reply = await deps.host.openExternal({ url: LICENSE_URL });
      if (!reply.opened) window.open(LICENSE_URL, '_blank', 'noopener,noreferrer');
    } catch {
      window.open(LICENSE_URL, '_blank', 'noopener,noreferrer');
    }
  };
  const rows: [string, string][] = [
    ['Northstar', info ? info.appVersion : error ? 'unknown' : '…'],
    ['DuckDB engine', `DuckDB ${DUCKDB_LIBRARY_VERSION} (duckdb-wasm ${DUCKDB_WASM_VERSION})`],
    ['Electron', electron ?? (info?.host === 'browser' ? 'not used (running in the browser)' : 'unknown')],
    [electron ? 'Chromium' : 'Browser', chromium ? `Chromium ${chromium}` : ua.slice(0, 120)],
  ];
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()} onKeyDown={(e) => e.key === 'Escape' && close()}>
      <div className="dialog about-dialog" role="dialog" aria-modal="true" aria-labelledby="about-title">
        <header className="dialog-header">
          <h2 id="about-title">About Northstar</h2>
          <button type="button" className="ghost" aria-label="Close" onClick={close} autoFocus>
            ✕
          </button>
        </header>
        <p className="about-tagline">KPI dashboards, drill-down and data-quality checks on Parquet, in memory.</p>
        <dl className="about-versions" data-testid="about-versions">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        <DataCacheRow deps={deps} />
        <p className="about-licenses">
          Northstar is open source under the{' '}
          <a
            href={LICENSE_URL}
            onClick={(e) => {
              e.preventDefault();
              void openLicense();
            }}
          >
            Apache License 2.0
          </a>
          . It includes DuckDB (MIT), Apache ECharts and Apache Arrow (Apache-2.0), React, zod and CodeMirror (MIT), and, in the
          desktop app, Electron and Chromium (MIT, BSD-3-Clause).{' '}
          <button type="button" className="link" onClick={() => setNotices(true)}>
            Third-party notices
          </button>
        </p>
        {notices && <NoticesDialog onClose={() => setNotices(false)} />}
      </div>
    </div>
  );
}
