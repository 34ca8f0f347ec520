/**
 * The soak's worker processes, run as a deployment runs them (`node services/worker/dist/run.js`),
 * killed with SIGKILL and replaced. Their JSON logs are read for the jobs each one completed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { processorPath } from '@ddinit/worker';

const RUN_SCRIPT = path.join(path.dirname(processorPath), 'run.js');
/** How long a worker gets to finish after SIGTERM before it is killed. */
const STOP_GRACE_MS = 15_000;

interface Member {
  child: ChildProcess;
  exited: Promise<void>;
  /** Set once it logged `worker started`. */
  ready: boolean;
}

export interface WorkerPoolFigures {
  started: number;
  /** Workers that logged `worker started` (connected and taking jobs). */
  ready: number;
  killed: number;
  /** `job completed` log lines per job id, over every worker that ran. */
  completions: Map<string, number>;
  /** Times a worker logged that it lost a job's lock (another worker may then run it). */
  lockLosses: number;
  /** Sandboxed children of killed workers still alive at the end. */
  orphans: number[];
}

export class WorkerPool {
  private readonly members: Member[] = [];
  private readonly childrenOfKilled: ProcessId[] = [];
  private stopping: Promise<void> | undefined;
  readonly figures: WorkerPoolFigures = {
    started: 0,
    ready: 0,
    killed: 0,
    completions: new Map(),
    lockLosses: 0,
    orphans: [],
  };

  constructor(
    private readonly env: Record<string, string>,
    /** Receives the warnings and errors the workers log, and any line that is not JSON. */
    private readonly onLog: (line: string) => void = () => {},
    /** Receives every line of every worker's log, with the worker's pid. */
    private readonly onAnyLine: (pid: number, line: string) => void = () => {},
  ) {}

  get size(): number {
    return this.members.length;
  }

  start(): void {
    const child = spawn(process.execPath, [RUN_SCRIPT], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = once(child, 'exit').then(() => undefined);
    const member: Member = { child, exited, ready: false };
    this.members.push(member);
    this.figures.started++;
    // The log is read as it comes: a killed worker's last lines are kept up to its death.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.onAnyLine(child.pid ?? 0, line);
      this.read(member, line);
    });
    void exited.then(() => {
      const index = this.members.indexOf(member);
      if (index >= 0) this.members.splice(index, 1);
    });
  }

  /** Whether every worker has started (a replacement may still be loading). */
  get allReady(): boolean {
    return this.members.every((member) => member.ready);
  }

  /** SIGKILLs the `index`-th live worker (modulo their count) and starts a replacement. */
  async killAndReplace(index: number): Promise<void> {
    const member = this.members[index % this.members.length];
    if (!member?.child.pid) return;
    this.childrenOfKilled.push(...(await childrenOf(member.child.pid)));
    member.child.kill('SIGKILL');
    await member.exited;
    this.figures.killed++;
    this.start();
  }

  /** Stops every worker with SIGTERM (SIGKILL past the grace), then looks for orphaned children. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    await Promise.all(
      [...this.members].map(async ({ child, exited }) => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    // A sandboxed child exits when its worker's IPC channel closes; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const orphans: ProcessId[] = [];
    for (const child of this.childrenOfKilled) if (await isSameProcess(child)) orphans.push(child);
    this.figures.orphans = orphans.map(({ pid }) => pid);
    for (const pid of this.figures.orphans) process.kill(pid, 'SIGKILL');
  }

  private read(member: Member, line: string): void {
    let entry: { message?: string; jobId?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      this.onLog(line);
      return;
    }
    if (entry.message === 'worker started') {
      member.ready = true;
      this.figures.ready++;
    } else if (entry.message === 'job completed' && entry.jobId) {
      this.figures.completions.set(entry.jobId, (this.figures.completions.get(entry.jobId) ?? 0) + 1);
    } else if (entry.message?.startsWith('lost the lock')) {
      this.figures.lockLosses++;
    }
    if (/"level":"(warn|error)"/.test(line)) this.onLog(line);
  }
}

/** A process id with its start time, so a reused pid is never taken for the process it named. */
interface ProcessId {
  pid: number;
  startTime: string;
}

/** Fields of /proc/<pid>/stat after the name, which is in parentheses and may hold spaces. */
async function statFields(pid: number | string): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes whose parent is `pid` (a worker's sandboxed children). */
async function childrenOf(pid: number): Promise<ProcessId[]> {
  const children: ProcessId[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    // Fields 4 and 22 of stat: the parent pid and the start time.
    const fields = await statFields(entry);
    if (Number(fields?.[1]) === pid) children.push({ pid: Number(entry), startTime: fields?.[19] ?? '' });
  }
  return children;
}

async function isSameProcess(id: ProcessId): Promise<boolean> {
  const fields = await statFields(id.pid);
  // A zombie has exited already; only its parent's wait is missing.
  return fields?.[19] === id.startTime && fields[0] !== 'Z';
}
