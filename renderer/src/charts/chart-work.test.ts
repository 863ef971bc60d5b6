import { afterEach, describe, expect, it, vi } from 'vitest';
import { pendingChartWork, queueChartWork, TASK_BUDGET_MS } from './chart-work';

const drained = () =>
  vi.waitFor(() => {
    if (pendingChartWork() > 0) throw new Error('still queued');
  });

describe('chart work', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('runs jobs in order, later, and never in the task that queued them', async () => {
    const log: string[] = [];
    queueChartWork(() => log.push('a'));
    queueChartWork(() => log.push('b'));
    log.push('queued');
    await drained();
    expect(log).toEqual(['queued', 'a', 'b']);
  });

  it('hands the thread back once a task has worked its budget', async () => {
    // The clock the budget is measured by is the test's: a job works by moving it on. (A busy loop on
    // the real clock failed when the machine was loaded: a descheduled job outlasted the budget alone.)
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const busy = (ms: number) => (clock += ms);
    try {
      // A microtask queued in a job runs when that job's task ends: it tells which jobs shared a task.
      let taskOfA = false;
      const sawA: boolean[] = [];
      queueChartWork(() => {
        taskOfA = true;
        queueMicrotask(() => (taskOfA = false));
        busy(TASK_BUDGET_MS * 0.75);
      });
      queueChartWork(() => {
        sawA.push(taskOfA);
        busy(TASK_BUDGET_MS * 0.75);
      });
      queueChartWork(() => sawA.push(taskOfA));
      await drained();
      // b ran in a's task (a ended inside the budget); c in a task of its own (a and b used it up).
      expect(sawA).toEqual([true, false]);
    } finally {
      now.mockRestore();
    }
  });

  it('runs idle jobs one per task, however short', async () => {
    let task = 0;
    const seen: number[] = [];
    const job = () => {
      seen.push(task);
      queueMicrotask(() => task++);
    };
    queueChartWork(job, { idle: true });
    queueChartWork(job, { idle: true });
    queueChartWork(job, { idle: true });
    await drained();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('runs a job queued alone in a task of its own, and does not drop it for a chart\'s work', async () => {
    let task = 0;
    const seen: string[] = [];
    const job = (name: string) => () => {
      seen.push(`${name}@${task}`);
      queueMicrotask(() => task++);
    };
    queueChartWork(job('first step'), { alone: true });
    queueChartWork(job('second step'), { alone: true });
    // A chart's own work comes after them, and (short) shares no task with them.
    queueChartWork(job('draw'));
    queueChartWork(job('draw again'));
    await drained();
    expect(seen).toEqual(['first step@0', 'second step@1', 'draw@2', 'draw again@2']);
  });

  it('drops a cancelled job, and one job that throws does not stop the others', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (err: unknown) => reported.push(err));
    const log: string[] = [];
    const dropped = queueChartWork(() => log.push('dropped'));
    queueChartWork(() => {
      throw new Error('bad option');
    });
    queueChartWork(() => log.push('after'));
    dropped.cancelled = true;
    await drained();
    expect(log).toEqual(['after']);
    expect(reported).toEqual([new Error('bad option')]);
  });

  it('runs idle work when nothing else waits, and drops it (saying so) once a chart queues its own', async () => {
    const log: string[] = [];
    queueChartWork(() => log.push('warm 1'), { idle: true, dropped: () => log.push('warm 1 dropped') });
    await drained();
    queueChartWork(() => log.push('warm 2'), { idle: true, dropped: () => log.push('warm 2 dropped') });
    queueChartWork(() => log.push('warm 3'), { idle: true, dropped: () => log.push('warm 3 dropped') });
    queueChartWork(() => log.push('chart'));
    await drained();
    expect(log).toEqual(['warm 1', 'warm 2 dropped', 'warm 3 dropped', 'chart']);
  });
});
