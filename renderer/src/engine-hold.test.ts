import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of the module for a page opened at `hash`, over `storage` (the page's localStorage). */
async function pageAt(hash: string, storage: Map<string, string>) {
  vi.resetModules();
  vi.stubGlobal('location', { hash });
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
  });
  return import('./engine-hold');
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('launchKey', () => {
  it("is the fragment's file part as written, '' for the host's own dashboard, null for a start window", async () => {
    const { launchKey } = await pageAt('', new Map());
    expect(launchKey('#file=%2Fdata%2Fa.dashboard.json&view=abc')).toBe('%2Fdata%2Fa.dashboard.json');
    expect(launchKey('#token=t0k&file=x.json')).toBe('x.json');
    expect(launchKey('#token=t0k')).toBe('');
    expect(launchKey('')).toBe('');
    expect(launchKey('#view=abc')).toBe('');
    expect(launchKey('#start')).toBeNull();
    // The encoder never writes both; a file wins, as in parseLaunchFragment.
    expect(launchKey('#file=x.json&start')).toBe('x.json');
    expect(launchKey('#file=')).toBe('');
  });
});

describe('the stored-draw hint', () => {
  it('is expected on the next page of the same target once a run stored or drew results, and not after one could not', async () => {
    const storage = new Map<string, string>();
    let page = await pageAt('#file=a.json', storage);
    expect(page.storedDrawExpected()).toBe(false);
    page.noteStoredDraw('/d/a.json', false);
    page.noteStoredDraw('/d/a.json', true);
    // Another file opened later in the same page is not this page's launch target.
    page.noteStoredDraw('/d/b.json', false);

    page = await pageAt('#file=a.json&view=v1', storage);
    expect(page.storedDrawExpected()).toBe(true);
    expect((await pageAt('#file=b.json', storage)).storedDrawExpected()).toBe(false);
    expect((await pageAt('#start', storage)).storedDrawExpected()).toBe(false);

    // The files changed: the run says the stored results cannot draw, and the next page does not hold.
    page = await pageAt('#file=a.json', storage);
    page.noteStoredDraw('/d/a.json', false);
    expect((await pageAt('#file=a.json', storage)).storedDrawExpected()).toBe(false);
  });

  it("is the launch target's for the first run and that file's later runs only; another file's runs expect none", async () => {
    const storage = new Map<string, string>();
    (await pageAt('#file=a.json', storage)).noteStoredDraw('/d/a.json', true);
    const page = await pageAt('#file=a.json', storage);
    // The page's first run, before it reported on any file: the launch target's hint.
    expect(page.storedDrawExpectedFor('/d/a.json')).toBe(true);
    page.noteStoredDraw('/d/a.json', true);
    expect(page.storedDrawExpectedFor('/d/a.json')).toBe(true);
    // A file opened later in the same page: its stored results are not known.
    expect(page.storedDrawExpectedFor('/d/b.json')).toBe(false);
    // A page whose launch target drew nothing: no file expects a draw.
    const cold = await pageAt('#file=c.json', storage);
    expect(cold.storedDrawExpectedFor('/d/c.json')).toBe(false);
  });

  it('keeps the most recent targets only, and survives damaged or refused storage', async () => {
    const storage = new Map<string, string>();
    for (let i = 0; i < 25; i++) (await pageAt(`#file=f${i}`, storage)).noteStoredDraw(`/f${i}`, true);
    expect(JSON.parse(storage.get('northstar.storedDraw') ?? '[]')).toHaveLength(20);
    expect((await pageAt('#file=f24', storage)).storedDrawExpected()).toBe(true);
    expect((await pageAt('#file=f0', storage)).storedDrawExpected()).toBe(false);

    storage.set('northstar.storedDraw', '{not json');
    expect((await pageAt('#file=f24', storage)).storedDrawExpected()).toBe(false);
    storage.set('northstar.storedDraw', JSON.stringify({ f24: true }));
    expect((await pageAt('#file=f24', storage)).storedDrawExpected()).toBe(false);

    vi.resetModules();
    vi.stubGlobal('location', { hash: '#file=f1' });
    vi.stubGlobal('localStorage', {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    });
    const refused = await import('./engine-hold');
    expect(refused.storedDrawExpected()).toBe(false);
    expect(() => refused.noteStoredDraw('/f1', true)).not.toThrow();
  });
});

describe('the held engine start', () => {
  it('waits for a release, says why it went, and a second release or hold changes nothing', async () => {
    const page = await pageAt('', new Map());
    expect(page.engineStartGate()).toBeNull();
    page.holdEngineStart(10_000);
    const gate = page.engineStartGate();
    expect(gate).not.toBeNull();
    let went = false;
    void gate!.then(() => (went = true));
    await Promise.resolve();
    expect(went).toBe(false);
    page.releaseEngineStart('not drawable');
    await gate;
    expect(went).toBe(true);
    expect(page.engineStartGate()).toBeNull();
    const marks = performance.getEntriesByName('northstar:engine-released') as PerformanceMark[];
    expect(marks.at(-1)?.detail).toEqual({ reason: 'not drawable' });
    page.releaseEngineStart('drawn');
    expect(performance.getEntriesByName('northstar:engine-released')).toHaveLength(marks.length);
  });

  it('goes ahead on its own after the longest hold', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const page = await pageAt('', new Map());
    page.holdEngineStart(1500);
    const gate = page.engineStartGate()!;
    let went = false;
    void gate.then(() => (went = true));
    await vi.advanceTimersByTimeAsync(1499);
    expect(went).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(went).toBe(true);
    expect((performance.getEntriesByName('northstar:engine-released').at(-1) as PerformanceMark).detail).toEqual({ reason: 'held long enough' });
  });
});
