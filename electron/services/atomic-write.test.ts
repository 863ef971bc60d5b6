import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard } from '../../dashboards/document';
import { cleanStaleTempFiles, isAtomicTempFile, writeFileAtomic } from './atomic-write';
import { largeDashboardText } from './testdata/sample-dashboards';

const here = path.dirname(fileURLToPath(import.meta.url));
// 1,000 kills in every CI run (the hardening issue's bar); NORTHSTAR_KILL_ITERATIONS changes it.
const KILL_ITERATIONS = Number(process.env.NORTHSTAR_KILL_ITERATIONS ?? 1000);
const KILL_SEED = Number(process.env.NORTHSTAR_KILL_SEED ?? 20261126);
// Kills land anywhere from right after the loop starts to several writes into it.
const MAX_KILL_DELAY_MS = 40;

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-atomic-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temp file behind', async () => {
    const file = path.join(tmp, 'plain.dashboard.json');
    await writeFileAtomic(file, 'one\n');
    await writeFileAtomic(file, 'two\n');
    expect(await readFile(file, 'utf8')).toBe('two\n');
    expect((await readdir(tmp)).filter(isAtomicTempFile)).toEqual([]);
  });

  it('keeps the permissions of the file it replaces', async () => {
    if (process.platform === 'win32') return;
    const file = path.join(tmp, 'private.dashboard.json');
    await writeFile(file, 'old\n', { mode: 0o600 });
    await writeFileAtomic(file, 'new\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('removes its temp file when the rename fails, and reports the failure', async () => {
    const dir = await mkdtemp(path.join(tmp, 'fail-'));
    // A folder where the file should go: the rename cannot replace it.
    const file = path.join(dir, 'taken.json');
    await mkdir(path.join(file, 'inside'), { recursive: true });
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow();
    expect((await readdir(dir)).filter(isAtomicTempFile)).toEqual([]);
  });

  it('names temp files recognisably, never as something a dashboard search would pick up', () => {
    expect(isAtomicTempFile('.sales.dashboard.json.0123456789ab.northstar-tmp')).toBe(true);
    expect(isAtomicTempFile('sales.dashboard.json')).toBe(false);
    expect(isAtomicTempFile('.sales.dashboard.json.0123456789ab.tmp')).toBe(false);
    expect(isAtomicTempFile('.notes.northstar-tmp')).toBe(false);
  });
});

describe('cleanStaleTempFiles', () => {
  it('removes old temp files only, and nothing else', async () => {
    const dir = await mkdtemp(path.join(tmp, 'clean-'));
    const stale = '.a.dashboard.json.aaaaaaaaaaaa.northstar-tmp';
    const young = '.a.dashboard.json.bbbbbbbbbbbb.northstar-tmp';
    for (const name of [stale, young, 'a.dashboard.json', '.hidden']) await writeFile(path.join(dir, name), 'x');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(path.join(dir, stale), hourAgo, hourAgo);
    expect(await cleanStaleTempFiles(dir)).toEqual([stale]);
    expect((await readdir(dir)).sort()).toEqual(['.a.dashboard.json.bbbbbbbbbbbb.northstar-tmp', '.hidden', 'a.dashboard.json']);
    expect(await cleanStaleTempFiles(path.join(dir, 'missing'))).toEqual([]);
  });
});

// A seeded PRNG (mulberry32), so a failing run can be replayed with the same kill delays.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('writeFileAtomic under SIGKILL', () => {
  let dir: string;
  let childScript: string;
  const texts = [largeDashboardText('alpha'), largeDashboardText('beta')];
  const buffers = texts.map((t) => Buffer.from(t, 'utf8'));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmp, 'kill-'));
    // Bundle the real module once, so each child is plain, fast-starting node.
    await build({
      entryPoints: [path.join(here, 'atomic-write.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: path.join(dir, 'atomic-write.mjs'),
      logLevel: 'warning',
    });
    await writeFile(path.join(dir, 'a.txt'), texts[0] as string);
    await writeFile(path.join(dir, 'b.txt'), texts[1] as string);
    childScript = path.join(dir, 'save-loop.mjs');
    await writeFile(
      childScript,
      [
        "import { readFileSync } from 'node:fs';",
        "import { writeFileAtomic } from './atomic-write.mjs';",
        'const [target, a, b] = process.argv.slice(2);',
        "const texts = [readFileSync(a, 'utf8'), readFileSync(b, 'utf8')];",
        "process.stdout.write('looping\\n');",
        'for (let i = 0; ; i++) await writeFileAtomic(target, texts[i % 2]);',
        '',
      ].join('\n'),
    );
  });

  it(
    `leaves the file whole: exactly one of the two texts after each of ${KILL_ITERATIONS} kills`,
    async () => {
      for (const text of texts) expect(loadDashboard(text).ok).toBe(true);
      expect(buffers[0]?.length).toBeGreaterThan(190_000);

      const workDir = await mkdtemp(path.join(dir, 'work-'));
      const target = path.join(workDir, 'big.dashboard.json');
      await writeFile(target, texts[0] as string);
      const random = mulberry32(KILL_SEED);
      const started = Date.now();
      const seen = [0, 0];
      let killsMidWrite = 0;
      let leftoverTotal = 0;

      for (let i = 0; i < KILL_ITERATIONS; i++) {
        const delay = Math.floor(random() * MAX_KILL_DELAY_MS);
        await runAndKill(childScript, [target, path.join(dir, 'a.txt'), path.join(dir, 'b.txt')], delay);

        const bytes = await readFile(target);
        const which = buffers.findIndex((b) => b.equals(bytes));
        if (which < 0) throw new Error(`Kill ${i} (delay ${delay} ms, seed ${KILL_SEED}): the file is ${bytes.length} bytes and matches neither text.`);
        seen[which] = (seen[which] ?? 0) + 1;
        expect(() => JSON.parse(bytes.toString('utf8')) as unknown).not.toThrow();

        // A kill between open and rename leaves the temp file; it is recognisable and never a .json.
        const names = await readdir(workDir);
        const leftovers = names.filter(isAtomicTempFile);
        expect(names.filter((n) => !isAtomicTempFile(n))).toEqual(['big.dashboard.json']);
        for (const name of leftovers) expect(name.endsWith('.json')).toBe(false);
        if (leftovers.length > 0) killsMidWrite++;
        leftoverTotal += leftovers.length;
        // Clear them (all stale now: their writer is dead) so each kill is counted on its own.
        expect((await cleanStaleTempFiles(workDir, { olderThanMs: 0 })).sort()).toEqual(leftovers.sort());
      }

      const seconds = (Date.now() - started) / 1000;
      console.info(
        `kill test: ${KILL_ITERATIONS} kills in ${seconds.toFixed(1)} s (seed ${KILL_SEED}); file was text A ${seen[0]}x, text B ${seen[1]}x; ` +
          `${killsMidWrite} kills left a temp file (${leftoverTotal} temp files in all), all cleaned by cleanStaleTempFiles.`,
      );
      // The kills must actually have interrupted the loop at different points, or the test proves nothing.
      if (KILL_ITERATIONS >= 50) {
        expect(seen[0]).toBeGreaterThan(0);
        expect(seen[1]).toBeGreaterThan(0);
        expect(killsMidWrite).toBeGreaterThan(0);
      }
    },
    KILL_ITERATIONS * 2000 + 30_000,
  );
});

/** Start the save loop, wait until it reports it is looping, then SIGKILL it after `delayMs`. */
function runAndKill(script: string, args: string[], delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: path.dirname(script), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (timer === undefined && out.includes('looping\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`The save loop exited by itself (code ${code}, signal ${signal}): ${err.slice(0, 2000)}`));
    });
  });
}
