import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATE_FONTS, STYLE_SIZES_PX, STYLE_WEIGHTS, UI_FAMILY } from './font-warm-up';

/** Every .css file under renderer/src. */
function styleSheets(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? styleSheets(path.join(dir, e.name)) : e.name.endsWith('.css') ? [path.join(dir, e.name)] : []));
}

describe('the font warm-up', () => {
  const css = styleSheets(path.join(__dirname)).map((f) => [f, readFileSync(f, 'utf8')] as const);

  it('finds the style sheets', () => {
    expect(css.length).toBeGreaterThan(5);
  });

  it('lays out every font size and weight the style sheets use (a new one must be added to the lists)', () => {
    const sizes = new Set<number>();
    const weights = new Set<number>();
    for (const [, text] of css) {
      for (const m of text.matchAll(/font-size:\s*([\d.]+)px/g)) sizes.add(Number(m[1]));
      // The `font` shorthand: "[weight] <size>px <family>".
      for (const m of text.matchAll(/font:\s*(?:(\d{3}|bold|normal)\s+)?([\d.]+)px/g)) {
        sizes.add(Number(m[2]));
        if (m[1]) weights.add(m[1] === 'bold' ? 700 : m[1] === 'normal' ? 400 : Number(m[1]));
      }
      for (const m of text.matchAll(/font-weight:\s*(\d{3}|bold|normal)/g)) weights.add(m[1] === 'bold' ? 700 : m[1] === 'normal' ? 400 : Number(m[1]));
    }
    expect(sizes.size).toBeGreaterThan(3);
    expect([...sizes].filter((s) => !STYLE_SIZES_PX.includes(s))).toEqual([]);
    expect([...weights].filter((w) => !STYLE_WEIGHTS.includes(w))).toEqual([]);
  });

  it("uses the page's own font family", () => {
    const styles = css.find(([f]) => f.endsWith(`${path.sep}styles.css`))?.[1] ?? '';
    expect(styles).toMatch(/:root\s*\{[^}]*font-family:/);
    expect(styles).toContain(`font-family: ${UI_FAMILY};`);
  });

  it('covers each size at each weight, once', () => {
    const keys = LATE_FONTS.map((f) => `${f.family} ${f.weight} ${f.sizePx}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const size of STYLE_SIZES_PX) for (const weight of STYLE_WEIGHTS) expect(keys).toContain(`ui ${weight} ${size}`);
  });
});
