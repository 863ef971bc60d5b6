import { describe, expect, it } from 'vitest';
import { COMPILE_HINT, compileHints, eagerChunk } from './compile-hints.mjs';

const mod = (renderedLength: number) => ({ renderedLength });

describe('compile hints (V8 eager compile of ECharts chunks)', () => {
  it('takes a chunk that is mostly ECharts or zrender code, by rendered length', () => {
    expect(eagerChunk({ '/app/node_modules/echarts/lib/core/echarts.js': mod(900), '/app/renderer/src/charts/echart.tsx': mod(100) })).toBe(true);
    expect(eagerChunk({ 'C:\\app\\node_modules\\zrender\\lib\\zrender.js': mod(60), '/app/renderer/src/x.ts': mod(40) })).toBe(true);
    // Half is enough; less is not.
    expect(eagerChunk({ '/app/node_modules/echarts/a.js': mod(50), '/app/renderer/src/x.ts': mod(50) })).toBe(true);
    expect(eagerChunk({ '/app/node_modules/echarts/a.js': mod(49), '/app/renderer/src/x.ts': mod(51) })).toBe(false);
    // Look-alike names are not ECharts.
    expect(eagerChunk({ '/app/node_modules/echarts-for-react/index.js': mod(100), '/app/node_modules/react-dom/client.js': mod(10) })).toBe(false);
    expect(eagerChunk({})).toBe(false);
    expect(eagerChunk({ '/app/node_modules/echarts/a.js': mod(0) })).toBe(false);
  });

  it('prepends the hint once to the chosen chunks, after minification, and leaves assets and other chunks alone', () => {
    const plugin = compileHints();
    const bundle = {
      'a.js': { type: 'chunk', code: 'var a=1;', modules: { '/x/node_modules/echarts/a.js': mod(8) } },
      'b.js': { type: 'chunk', code: 'var b=1;', modules: { '/x/renderer/src/b.ts': mod(8) } },
      'c.css': { type: 'asset', source: 'body{}' },
    };
    const generate = plugin.generateBundle as unknown as (options: unknown, bundle: unknown) => void;
    generate.call({}, {}, bundle);
    generate.call({}, {}, bundle);
    expect(bundle['a.js'].code).toBe(`${COMPILE_HINT}var a=1;`);
    expect(COMPILE_HINT).toBe('//# allFunctionsCalledOnLoad\n');
    expect(bundle['b.js'].code).toBe('var b=1;');
    expect(bundle['c.css']).toEqual({ type: 'asset', source: 'body{}' });
    expect(plugin.apply).toBe('build');
  });
});
