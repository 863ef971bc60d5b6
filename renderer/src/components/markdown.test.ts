// Runs in node: the elements are rendered to static markup, which is what the page would get.
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown, webUrl } from './markdown';

const html = (source: string, onOpenLink?: (url: string) => void) => renderToStaticMarkup(createElement(Markdown, { source, onOpenLink }));

describe('Markdown', () => {
  it('draws headings, paragraphs, emphasis, code, lists, quotes, code blocks and tables', () => {
    const out = html(
      ['# Title', '', 'Some **bold**, *italic*, ~~gone~~ and `a < b` text.', '', '- one', '- two', '', '3. three', '', '> quoted', '', '```sql', 'SELECT 1 < 2', '```', '', '| a | b |', '|---|--:|', '| 1 | **2** |', '', '---'].join('\n'),
    );
    expect(out).toContain('<h3>Title</h3>');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<em>italic</em>');
    expect(out).toContain('<del>gone</del>');
    expect(out).toContain('<code>a &lt; b</code>');
    expect(out).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(out).toContain('<ol start="3"><li>three</li></ol>');
    expect(out).toContain('<blockquote><p>quoted</p></blockquote>');
    expect(out).toContain('<pre class="md-code" data-lang="sql"><code>SELECT 1 &lt; 2</code></pre>');
    expect(out).toContain('<th style="text-align:right">b</th>');
    expect(out).toContain('<td style="text-align:right"><strong>2</strong></td>');
    expect(out).toContain('<hr/>');
  });

  it('shows raw HTML as text: no script, no image, no event handler attribute', () => {
    const out = html('<script>alert(1)</script>\n\nHello <img src=x onerror="alert(2)"> <b>world</b>\n\n<iframe src="https://evil.example"></iframe>');
    expect(out).not.toMatch(/<script|<img|<iframe|<b>/i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
    expect(out).toContain('<span class="md-raw">&lt;b&gt;</span>world<span class="md-raw">&lt;/b&gt;</span>');
  });

  it('never makes a navigating link: javascript: and data: targets are inert text', () => {
    const out = html('[click me](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) ![pic](https://x.example/p.png "t") [rel](../secret)', () => {});
    expect(out).not.toMatch(/<a[\s>]|href=|<img|<button/i);
    expect(out).toContain('click me<span class="md-href"> (javascript:alert(1))</span>');
    expect(out).toContain('[image: pic] <span class="md-href">(https://x.example/p.png)</span>');
    expect(out).toContain('(../secret)');
  });

  it('http(s) links become buttons for onOpenLink, with the target visible; without a handler, text', () => {
    const withHandler = html('See [the docs](https://example.com/a?b=1&c=2) or <https://example.org>.', () => {});
    expect(withHandler).toContain('<button type="button" class="md-link" title="Open https://example.com/a?b=1&amp;c=2">the docs</button><span class="md-href"> (https://example.com/a?b=1&amp;c=2)</span>');
    expect(withHandler).toContain('>https://example.org</button>');
    expect(withHandler).not.toMatch(/href=/);
    const without = html('See [the docs](https://example.com).');
    expect(without).not.toContain('<button');
    expect(without).toContain('the docs<span class="md-href"> (https://example.com)</span>');
  });

  it('decodes character references once and keeps hostile text as text', () => {
    const out = html('Fish &amp; chips &lt;b&gt; &#60;script&#62; &#x1F600; &bogus;');
    expect(out).toContain('Fish &amp; chips &lt;b&gt; &lt;script&gt; 😀 &amp;bogus;');
  });

  it('only http and https count as web addresses', () => {
    expect(webUrl('https://example.com/x')).toBe('https://example.com/x');
    expect(webUrl('HTTP://EXAMPLE.com')).toBe('http://example.com/');
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', '\u0001javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', '/relative', 'mailto:a@b.c', 'vbscript:x']) {
      expect(webUrl(bad), bad).toBeNull();
    }
  });
});
