// The injection lint rules really fire: each way of turning text into HTML or code is reported in
// every layer, safe look-alikes are not, and every reviewed exception says why.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
const SECURITY_RULES = new Set(['no-restricted-syntax', 'no-eval', 'no-implied-eval', 'no-new-func']);

async function flagged(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && SECURITY_RULES.has(m.ruleId)).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('HTML and code injection lint rules', () => {
  const unsafe: [string, string][] = [
    ['dangerouslySetInnerHTML', 'export const A = (p: { t: string }) => <div dangerouslySetInnerHTML={{ __html: p.t }} />;'],
    ['innerHTML =', 'export function f(el: HTMLElement, t: string) { el.innerHTML = t; }'],
    ['innerHTML +=', 'export function f(el: HTMLElement, t: string) { el.innerHTML += t; }'],
    ["['innerHTML'] =", "export function f(el: HTMLElement, t: string) { el['innerHTML'] = t; }"],
    ['outerHTML =', 'export function f(el: HTMLElement, t: string) { el.outerHTML = t; }'],
    ['insertAdjacentHTML', "export function f(el: HTMLElement, t: string) { el.insertAdjacentHTML('beforeend', t); }"],
    ['createContextualFragment', 'export function f(t: string) { return document.createRange().createContextualFragment(t); }'],
    ['document.write', 'export function f(t: string) { document.write(t); }'],
    ['document.writeln', 'export function f(t: string) { document.writeln(t); }'],
    ['eval', 'export function f(t: string) { return eval(t); }'],
    ['new Function', "export function f(t: string) { return new Function('x', t); }"],
    ['Function()', "export function f(t: string) { return Function('x', t); }"],
    ['setTimeout with a string', "export function f() { setTimeout('alert(1)', 10); }"],
  ];

  for (const file of ['renderer/src/components/x.tsx', 'dashboards/x.tsx', 'electron/services/x.tsx', 'cli/x.tsx']) {
    it.each(unsafe)(`${file}: %s is flagged`, async (_name, code) => {
      expect(await flagged(file, code)).toHaveLength(1);
    });
  }

  it.each([
    ['textContent', 'export function f(el: HTMLElement, t: string) { el.textContent = t; }'],
    ['reading innerHTML', 'export function f(el: HTMLElement) { return el.innerHTML.length; }'],
    ['insertAdjacentText', "export function f(el: HTMLElement, t: string) { el.insertAdjacentText('beforeend', t); }"],
    ['setTimeout with a function', 'export function f() { setTimeout(() => undefined, 10); }'],
    ['a method named write on something else', 'export function f(s: { write(t: string): void }) { s.write("x"); }'],
  ])('%s is not flagged', async (_name, code) => {
    expect(await flagged('renderer/src/components/x.tsx', code)).toEqual([]);
  });

  it('every reviewed exception names existing files, only these rules, and a reason', () => {
    const { exceptions } = JSON.parse(readFileSync(path.join(process.cwd(), 'build', 'lint-exceptions.json'), 'utf8')) as {
      exceptions: { file: string; rules: string[]; reason: string }[];
    };
    for (const e of exceptions) {
      expect(e.reason.trim().length, e.file).toBeGreaterThan(20);
      expect(e.rules.every((r) => SECURITY_RULES.has(r)), e.file).toBe(true);
      expect(/[*?[]/.test(e.file) || existsSync(path.join(process.cwd(), e.file)), e.file).toBe(true);
    }
  });
});
