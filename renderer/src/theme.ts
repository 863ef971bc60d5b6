// Light or dark: follows the OS (`prefers-color-scheme`) unless the user picked one, which is
// remembered on this machine (localStorage). The resolved theme is set on <html data-theme>, for
// the CSS variables in theme.css, and given to every chart (ECharts has its own dark theme).
// `prefers-reduced-motion` is read here too: charts then draw without animation.
import { useSyncExternalStore } from 'react';
import './theme.css';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'northstar.theme';
const listeners = new Set<() => void>();

function mediaQuery(query: string): MediaQueryList | null {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(query) : null;
}

/** The user's choice, "system" when none was made (or storage is unavailable). */
export function themeChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

/** The theme in effect for a choice, given whether the OS prefers dark. */
export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

/** The theme in effect now. */
export function currentTheme(): Theme {
  return resolveTheme(themeChoice(), mediaQuery('(prefers-color-scheme: dark)')?.matches ?? false);
}

/** Whether the user asked the OS for less motion. */
export function prefersReducedMotion(): boolean {
  return mediaQuery('(prefers-reduced-motion: reduce)')?.matches ?? false;
}

/** Remember a choice and apply it at once. */
export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage refused (private mode): the choice holds for this page only.
    memoryChoice = choice;
  }
  applyTheme();
}
let memoryChoice: ThemeChoice | null = null;

function effectiveTheme(): Theme {
  return memoryChoice ? resolveTheme(memoryChoice, mediaQuery('(prefers-color-scheme: dark)')?.matches ?? false) : currentTheme();
}

/** Put the theme on <html> and tell every chart. */
export function applyTheme(): void {
  const theme = effectiveTheme();
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
  for (const l of listeners) l();
}

/** Follow the OS while the choice is "system"; call once at start. */
export function watchSystemTheme(): void {
  applyTheme();
  mediaQuery('(prefers-color-scheme: dark)')?.addEventListener('change', applyTheme);
  mediaQuery('(prefers-reduced-motion: reduce)')?.addEventListener('change', applyTheme);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The theme in effect, re-rendering when it changes. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, effectiveTheme, () => 'light');
}

/** The reduced-motion preference, re-rendering when it changes. */
export function useReducedMotion(): boolean {
  return useSyncExternalStore(subscribe, prefersReducedMotion, () => false);
}

/** The user's choice, re-rendering when it changes. */
export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(subscribe, () => memoryChoice ?? themeChoice(), () => 'system');
}

// Apply before the first render, so a dark OS never sees a light flash.
if (typeof document !== 'undefined') watchSystemTheme();

// Light-only colours the chart options use (chart-options.ts) and their dark counterparts: grid
// lines and the pale end of the heatmap scale would glare on a dark panel.
const DARK_CHART_COLORS: Record<string, string> = {
  '#eceef2': '#2e3442',
  '#eef3fc': '#1d2b47',
  '#1f2329': '#e4e7ee',
};

/** A chart option as drawn in `theme`: in dark, light-only colours swapped for dark ones (a copy; the input is not changed). */
export function chartOptionFor<T>(option: T, theme: Theme): T {
  if (theme !== 'dark') return option;
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') return DARK_CHART_COLORS[v.toLowerCase()] ?? v;
    if (Array.isArray(v)) return v.map(swap);
    // Only plain objects: functions (formatters) and class instances pass through untouched.
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, swap(x)]));
    }
    return v;
  };
  return swap(option) as T;
}
