// Chart work (making an ECharts instance, drawing an option) is queued and done in short tasks, so
// a dashboard's charts draw one after another with the window answering in between, instead of all
// in the one task that committed them. Measured in a cold open at 5M rows, the four charts' first
// draws were one task of 94–138 ms; the first chart's first draw alone is ~50 ms (ECharts' code
// runs for the first time), a later draw 10–20 ms.
//
// A task runs the jobs in the queue's order until it has worked TASK_BUDGET_MS (at least one job;
// an idle job is always alone), then hands the thread back. The next task is posted at
// "user-blocking" priority where the browser has `scheduler.postTask` (a re-open draws its stored
// results while the data loads, and the load's network and worker messages would otherwise run
// first), at "background" priority when only idle work waits (the warm-up must not hold back the
// open's next step), else as a MessageChannel message (setTimeout would be clamped to 4 ms once
// nested).

/** Work a task keeps taking jobs for; a job that starts inside it runs to its end. */
export const TASK_BUDGET_MS = 12;

export interface ChartJob {
  /** False once the job is no longer wanted (its chart went): it is dropped unrun. */
  cancelled: boolean;
  /** Work nobody waits for (the warm-up): dropped as soon as a chart's own work is queued. */
  idle: boolean;
  /** Run in a task of its own (idle work always is). */
  alone?: boolean;
  run(): void;
  /** Called when idle work is dropped. */
  dropped?: () => void;
}

const queue: ChartJob[] = [];
/** The priority of the task posted to run the queue, if one is. */
let posted: Priority | null = null;
let channel: MessageChannel | null = null;

type Priority = 'user-blocking' | 'background';
interface PostTaskScheduler {
  postTask(task: () => void, options: { priority: Priority }): Promise<unknown>;
}

/** Post a task for the queue: at "background" priority when only idle work waits. */
function post(): void {
  const priority: Priority = queue.some((j) => !j.cancelled && !j.idle) ? 'user-blocking' : 'background';
  if (posted === priority || posted === 'user-blocking') return;
  posted = priority;
  const scheduler = (globalThis as { scheduler?: Partial<PostTaskScheduler> }).scheduler;
  if (typeof scheduler?.postTask === 'function') {
    void scheduler.postTask(work, { priority });
    return;
  }
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = work;
  }
  channel.port2.postMessage(null);
}

function work(): void {
  posted = null;
  const started = performance.now();
  while (queue.length > 0) {
    const job = queue.shift();
    if (!job || job.cancelled) continue;
    try {
      job.run();
    } catch (err) {
      // One chart's failure must not stop the others' drawing: report it as an uncaught error would be.
      reportError(err);
    }
    // Idle work (the warm-up) is one job per task: nobody waits for it, and a task that ran two of
    // its 8–18 ms steps was, with the engine's load on the other threads, a task of 60–86 ms.
    if (job.idle || job.alone || performance.now() - started >= TASK_BUDGET_MS) break;
  }
  if (queue.some((j) => !j.cancelled)) post();
  else queue.length = 0;
}

/**
 * Queue `run` after the work already queued; cancel the returned job to drop it. `idle` work is
 * nobody's wait: it is dropped (and told so) when other work is queued.
 */
export function queueChartWork(run: () => void, opts: { idle?: boolean; alone?: boolean; dropped?: () => void } = {}): ChartJob {
  const idle = opts.idle ?? false;
  if (!idle) {
    for (const job of queue) {
      if (!job.idle || job.cancelled) continue;
      job.cancelled = true;
      job.dropped?.();
    }
  }
  const job: ChartJob = { cancelled: false, idle, run, ...(opts.alone ? { alone: true } : {}), ...(opts.dropped ? { dropped: opts.dropped } : {}) };
  queue.push(job);
  post();
  return job;
}

/** Jobs queued and not yet run or dropped (tests). */
export function pendingChartWork(): number {
  return queue.filter((j) => !j.cancelled).length;
}
