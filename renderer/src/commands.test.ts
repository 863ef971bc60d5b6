import { describe, expect, it } from 'vitest';
import { HOST_COMMAND_IDS } from '../../electron/api/host-api';
import { serializeDashboard } from '../../dashboards/document';
import { COMMANDS, commandById, emptyDashboard, formatShortcut, fuzzyScore, searchCommands, titleFromPath, type Command } from './commands';

const titles = (cs: Command[]) => cs.map((c) => c.title);

describe('command registry', () => {
  it('has unique ids and implements every command a native menu can send', () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of HOST_COMMAND_IDS) expect(commandById(id), id).toBeDefined();
  });

  it('lists every action the app has', () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'file.open',
        'file.new',
        'file.newFromData',
        'file.save',
        'file.saveCopy',
        'file.saveAs',
        'edit.undo',
        'edit.redo',
        'panel.add.kpi',
        'panel.add.chart',
        'panel.add.table',
        'panel.add.text',
        'layout.edit',
        'view.datasets',
        'view.sources',
        'view.history',
        'file.share',
        'file.print',
        'data.reload',
        'data.toggleRaw',
        'app.about',
      ]),
    );
  });
});

describe('fuzzy search', () => {
  it('matches letters in order, not necessarily adjacent, ignoring case and spaces', () => {
    expect(fuzzyScore('dsrc', 'Data sources')).not.toBeNull();
    expect(fuzzyScore('DATA SOU', 'Data sources')).not.toBeNull();
    expect(fuzzyScore('sd', 'Data sources')).toBeNull();
    expect(fuzzyScore('xyz', 'Save')).toBeNull();
    expect(fuzzyScore('', 'anything')).toBe(0);
  });

  it('ranks word starts and runs above scattered matches', () => {
    expect(titles(searchCommands(COMMANDS, 'sa'))[0]).toBe('Save');
    expect(titles(searchCommands(COMMANDS, 'undo'))[0]).toBe('Undo');
    expect(titles(searchCommands(COMMANDS, 'add ch'))[0]).toBe('Add chart');
    expect(titles(searchCommands(COMMANDS, 'hist'))[0]).toBe('History');
  });

  it('finds commands by keyword too, after title matches', () => {
    expect(titles(searchCommands(COMMANDS, 'pdf'))).toContain('Print / Save as PDF…');
    const version = titles(searchCommands(COMMANDS, 'version'));
    expect(version).toContain('About Northstar');
  });

  it('keeps the registry order with no query, and finds nothing for nonsense', () => {
    expect(searchCommands(COMMANDS, '  ')).toEqual([...COMMANDS]);
    expect(searchCommands(COMMANDS, 'qqqqzzzz')).toEqual([]);
  });
});

describe('helpers', () => {
  it('writes shortcuts the way each platform does', () => {
    expect(formatShortcut('Shift+Mod+Z', false)).toBe('Shift+Ctrl+Z');
    expect(formatShortcut('Shift+Mod+Z', true)).toBe('⇧⌘Z');
  });

  it('titles a new dashboard after its file name', () => {
    expect(titleFromPath('/home/ana/Q3 ventes été.dashboard.json')).toBe('Q3 ventes été');
    expect(titleFromPath('C:\\Users\\ana\\plan.northstar.json')).toBe('plan');
    expect(titleFromPath('/x/.dashboard.json')).toBe('Untitled dashboard');
  });

  it('makes an empty dashboard that validates and serializes', () => {
    const d = emptyDashboard('Plan');
    expect(d).toMatchObject({ type: 'northstar.dashboard', title: 'Plan', panels: [], layout: [], sources: [] });
    expect(d.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(serializeDashboard(d)).toContain('"title": "Plan"');
  });
});
