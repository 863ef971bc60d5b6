// Chart work (making an ECharts instance, drawing an option) is queued and done in short tasks, so
// a dashboard's charts draw one after another with the window answering in between, instead of all
// in the one task that committed them. Measured in a cold open at 5M rows, the four charts' first
// draws were one task of 94–138 ms; the first chart's first draw alone is ~50 ms (ECharts' code
// runs for the first time), a later draw 10–20 ms.
//
// A task runs the jobs in the queue's order until it has worked TASK_BUDGET_MS (at least one job),
// then hands the thread back; the next task is a MessageChannel message (setTimeout would be
// clamped to 4 ms once nested).

/** Work a task keeps taking jobs for; a job that starts inside it runs to its end. */
export const TASK_BUDGET_MS = 12;

export interface ChartJob {
  /** False once the job is no longer wanted (its chart went): it is dropped unrun. */
  cancelled: boolean;
  run(): void;
}

const queue: ChartJob[] = [];
let posted = false;
let channel: MessageChannel | null = null;

function post(): void {
  if (posted) return;
  posted = true;
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = work;
  }
  channel.port2.postMessage(null);
}

function work(): void {
  posted = false;
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
    if (performance.now() - started >= TASK_BUDGET_MS) break;
  }
  if (queue.some((j) => !j.cancelled)) post();
  else queue.length = 0;
}

/** Queue `run` after the work already queued; cancel the returned job to drop it. */
export function queueChartWork(run: () => void): ChartJob {
  const job: ChartJob = { cancelled: false, run };
  queue.push(job);
  post();
  return job;
}

/** Jobs queued and not yet run or dropped (tests). */
export function pendingChartWork(): number {
  return queue.filter((j) => !j.cancelled).length;
}
