// The layering lint rule really fires: each upward import below must be reported, and the
// allowed ones must not.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rule', () => {
  it.each([
    ['dashboards/x.ts', "import fs from 'node:fs';"],
    ['dashboards/x.ts', "import { ident } from '../queries/sql';"],
    ['queries/x.ts', "import { app } from 'electron';"],
    ['queries/x.ts', "import { readFile } from 'node:fs/promises';"],
    ['queries/x.ts', "import { useStore } from '../renderer/src/store';"],
    ['electron/services/x.ts', "import { app } from 'electron';"],
    ['electron/services/x.ts', "import { ipcMain } from 'electron/main';"],
    ['electron/api/x.ts', "import path from 'node:path';"],
    ['renderer/src/x.ts', "import { DataGateway } from '../../electron/services/data-gateway';"],
    ['renderer/src/x.ts', "import { ipcRenderer } from 'electron';"],
    ['renderer/src/x.ts', "import os from 'node:os';"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  it.each([
    ['queries/x.ts', "import { DashboardFile } from '../dashboards/schema';"],
    ['renderer/src/x.ts', "import { HostError } from '../../electron/api/host-api';"],
    ['renderer/src/x.ts', "import { Engine } from '../../queries/engine/engine';"],
    ['electron/main.ts', "import { app } from 'electron';"],
    ['queries/x.test.ts', "import { DuckDBInstance } from '@duckdb/node-api'; import fs from 'node:fs';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });

  it('flags HTML injection and eval', async () => {
    const [result] = await eslint.lintText('const el = document.body; el.innerHTML = "x"; eval("1");', { filePath: 'renderer/src/x.ts' });
    const rules = (result?.messages ?? []).map((m) => m.ruleId);
    expect(rules).toContain('no-restricted-syntax');
    expect(rules).toContain('no-eval');
  });
});
