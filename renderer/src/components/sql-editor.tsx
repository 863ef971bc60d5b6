// The SQL editor of SQL datasets (CodeMirror 6): highlighting, completion of the dashboard's source
// views and their columns, Ctrl/Cmd+Enter to run, and the place of DuckDB's error marked in the text.
// One owner for the view: created once, reconfigured through compartments, destroyed on unmount.
import { useEffect, useRef } from 'react';
import { basicSetup } from 'codemirror';
import { Compartment, EditorState, Prec, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, keymap, type DecorationSet } from '@codemirror/view';
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';

export interface SqlEditorProps {
  value: string;
  onChange(value: string): void;
  /** Ctrl/Cmd+Enter. */
  onRun(): void;
  /** Tables (the source views) and their columns, for completion. */
  schema: Record<string, string[]>;
  /** Where the last error is, as offsets in `value`; cleared by the next edit. */
  errorAt?: { from: number; to: number } | null;
  /** Accessible name of the text area. */
  label?: string;
}

export function SqlEditor({ value, onChange, onRun, schema, errorAt = null, label = 'SQL' }: SqlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  // The view is made once; callbacks are read through refs so they are always the latest.
  const latest = useRef({ onChange, onRun });
  latest.current = { onChange, onRun };
  const initial = useRef({ value, schema, label });

  useEffect(() => {
    const parent = host.current;
    if (!parent) return;
    const { value: doc, schema: tables, label: name } = initial.current;
    const v = new EditorView({
      parent,
      state: EditorState.create({
        doc,
        extensions: [
          Prec.highest(
            keymap.of([
              {
                key: 'Mod-Enter',
                run: () => {
                  latest.current.onRun();
                  return true;
                },
              },
            ]),
          ),
          basicSetup,
          language.current.of(sqlLanguage(tables)),
          errorMarks,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': name }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    // The app's own shortcuts (undo the dashboard, close the drawer) must not also fire for keys
    // the editor handles itself.
    const keep = (e: KeyboardEvent) => {
      const key = e.key.toLowerCase();
      if (e.key === 'Escape' || ((e.ctrlKey || e.metaKey) && (key === 'z' || key === 'y'))) e.stopPropagation();
    };
    parent.addEventListener('keydown', keep);
    return () => {
      parent.removeEventListener('keydown', keep);
      v.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(sqlLanguage(schema)) });
  }, [schema]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch({ effects: setErrorMark.of(errorAt ? markRange(errorAt, v.state.doc.length) : null) });
  }, [errorAt]);

  return <div className="sql-editor" ref={host} data-testid="sql-editor" />;
}

/** SQL (the PostgreSQL dialect is closest to DuckDB's) with table.column completion from the schema. */
function sqlLanguage(schema: Record<string, string[]>): Extension {
  const support = sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true });
  return [support, support.language.data.of({ autocomplete: bareColumns(schema) })];
}

const SIMPLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** Column names without their table (lang-sql completes them only after "table."). */
function bareColumns(schema: Record<string, string[]>): CompletionSource {
  const tables = new Map<string, string[]>();
  for (const [table, columns] of Object.entries(schema)) for (const c of columns) tables.set(c, [...(tables.get(c) ?? []), table]);
  const options: Completion[] = [...tables].map(([c, of]) => ({
    label: c,
    type: 'property',
    detail: of.join(', '),
    boost: -1,
    ...(SIMPLE_NAME.test(c) ? {} : { apply: `"${c.replaceAll('"', '""')}"` }),
  }));
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[A-Za-z_][A-Za-z0-9_$]*/);
    if (!word && !ctx.explicit) return null;
    const from = word?.from ?? ctx.pos;
    if (ctx.state.sliceDoc(from - 1, from) === '.' || ctx.state.sliceDoc(from - 1, from) === '"') return null;
    return { from, options, validFor: /^[A-Za-z0-9_$]*$/ };
  };
}

const setErrorMark = StateEffect.define<{ from: number; to: number } | null>();
const errorMark = Decoration.mark({ class: 'cm-sql-error', attributes: { 'data-testid': 'sql-error-mark' } });
const errorLine = Decoration.line({ class: 'cm-sql-error-line' });

const errorMarks = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    // The mark is about the text that ran: any edit makes it stale.
    let next = tr.docChanged ? Decoration.none : marks;
    for (const e of tr.effects) {
      if (!e.is(setErrorMark)) continue;
      const at = e.value;
      if (!at) {
        next = Decoration.none;
        continue;
      }
      const line = tr.state.doc.lineAt(at.from);
      next = Decoration.set([errorLine.range(line.from), ...(at.to > at.from ? [errorMark.range(at.from, at.to)] : [])], true);
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** A visible range: an error at the very end (the SQL stopped too early) marks the last character. */
function markRange(at: { from: number; to: number }, length: number): { from: number; to: number } {
  const from = Math.max(0, Math.min(at.from, length));
  const to = Math.max(from, Math.min(at.to, length));
  if (to > from) return { from, to };
  if (from < length) return { from, to: from + 1 };
  return { from: Math.max(0, length - 1), to: length };
}
