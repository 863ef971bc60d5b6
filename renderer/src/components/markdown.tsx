// Markdown of text panels, drawn safely: `marked` only splits the text into tokens (its lexer);
// the elements are built here, so no HTML from the file ever reaches the page. Raw HTML shows as
// the literal text it is, links never navigate on their own (http(s) ones ask `onOpenLink`), and
// images are not loaded: their description and address are shown instead.
import { Fragment, type ReactNode } from 'react';
import { marked, type Token, type Tokens } from 'marked';

export interface MarkdownProps {
  source: string;
  /** Called with an http(s) URL when the reader activates its link. Without it, links are plain text. */
  onOpenLink?: (url: string) => void;
}

/** Render Markdown as React elements built from `marked.lexer` tokens; never as HTML. */
export function Markdown({ source, onOpenLink }: MarkdownProps) {
  const tokens = marked.lexer(source, { gfm: true, breaks: false });
  return <div className="markdown">{blocks(tokens, { onOpenLink })}</div>;
}

interface Context {
  onOpenLink: ((url: string) => void) | undefined;
}

/** The http(s) URL a link points to, normalized; null for any other scheme or a relative address. */
export function webUrl(href: string): string | null {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

/** Character references in text tokens (the lexer leaves them as written) become their characters. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function blocks(tokens: readonly Token[], ctx: Context): ReactNode[] {
  return tokens.map((t, i) => <Fragment key={i}>{block(t as Tokens.Generic, ctx)}</Fragment>);
}

function block(t: Tokens.Generic, ctx: Context): ReactNode {
  switch (t.type) {
    case 'heading': {
      const h = t as Tokens.Heading;
      // The panel title is the panel's heading: the text's headings sit below it.
      const level = Math.min(h.depth + 2, 6);
      const Tag = `h${level}` as 'h3' | 'h4' | 'h5' | 'h6';
      return <Tag>{inline(h.tokens, ctx)}</Tag>;
    }
    case 'paragraph':
      return <p>{inline((t as Tokens.Paragraph).tokens, ctx)}</p>;
    case 'text': {
      const text = t as Tokens.Text;
      return text.tokens ? inline(text.tokens, ctx) : decodeEntities(text.text);
    }
    case 'list': {
      const list = t as Tokens.List;
      const items = list.items.map((item, i) => <li key={i}>{blocks(item.tokens, ctx)}</li>);
      return list.ordered ? <ol start={typeof list.start === 'number' ? list.start : undefined}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'blockquote':
      return <blockquote>{blocks((t as Tokens.Blockquote).tokens, ctx)}</blockquote>;
    case 'code': {
      const code = t as Tokens.Code;
      return (
        <pre className="md-code" data-lang={code.lang || undefined}>
          <code>{code.text}</code>
        </pre>
      );
    }
    case 'table': {
      const table = t as Tokens.Table;
      const align = (a: Tokens.TableCell['align']) => (a ? { textAlign: a } : undefined);
      return (
        <div className="md-table-scroll">
          <table className="md-table">
            <thead>
              <tr>
                {table.header.map((cell, i) => (
                  <th key={i} style={align(cell.align)}>
                    {inline(cell.tokens, ctx)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, i) => (
                    <td key={i} style={align(cell.align)}>
                      {inline(cell.tokens, ctx)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case 'hr':
      return <hr />;
    case 'html':
      // Raw HTML is shown as what it is: text.
      return <p className="md-raw">{(t as Tokens.HTML).text}</p>;
    case 'space':
    case 'def':
      return null;
    default:
      // Anything else the lexer may produce (extensions, new token kinds): its source, as text.
      return <p>{t.raw}</p>;
  }
}

function inline(tokens: readonly Token[] | undefined, ctx: Context): ReactNode[] {
  return (tokens ?? []).map((t, i) => <Fragment key={i}>{span(t as Tokens.Generic, ctx)}</Fragment>);
}

function span(t: Tokens.Generic, ctx: Context): ReactNode {
  switch (t.type) {
    case 'text': {
      const text = t as Tokens.Text;
      return text.tokens ? inline(text.tokens, ctx) : decodeEntities(text.text);
    }
    case 'escape':
      return (t as Tokens.Escape).text;
    case 'strong':
      return <strong>{inline((t as Tokens.Strong).tokens, ctx)}</strong>;
    case 'em':
      return <em>{inline((t as Tokens.Em).tokens, ctx)}</em>;
    case 'del':
      return <del>{inline((t as Tokens.Del).tokens, ctx)}</del>;
    case 'codespan':
      return <code>{(t as Tokens.Codespan).text}</code>;
    case 'br':
      return <br />;
    case 'checkbox':
      return <span className="md-check">{(t as Tokens.Checkbox).checked ? '☑ ' : '☐ '}</span>;
    case 'html':
      return <span className="md-raw">{(t as Tokens.Tag).text}</span>;
    case 'link':
      return <MarkdownLink token={t as Tokens.Link} ctx={ctx} />;
    case 'image': {
      const image = t as Tokens.Image;
      return (
        <span className="md-image">
          [image: {decodeEntities(image.text) || 'no description'}] <span className="md-href">({image.href})</span>
        </span>
      );
    }
    default:
      return t.raw;
  }
}

/** A link never navigates by itself: its target is always visible, and only http(s) links can be opened, through `onOpenLink`. */
function MarkdownLink({ token, ctx }: { token: Tokens.Link; ctx: Context }) {
  const url = webUrl(token.href);
  const label = inline(token.tokens, ctx);
  // An autolink's text is its address: say it once.
  const target = token.autolink || token.text === token.href ? null : <span className="md-href"> ({token.href})</span>;
  const open = ctx.onOpenLink;
  if (url && open) {
    return (
      <span className="md-link-wrap">
        <button type="button" className="md-link" title={`Open ${url}`} onClick={() => open(url)}>
          {label}
        </button>
        {target}
      </span>
    );
  }
  return (
    <span className="md-link-text" title={token.href}>
      {label}
      {target}
    </span>
  );
}
