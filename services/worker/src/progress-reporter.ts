/**
 * Job progress as clients see it: at most one update per interval within a phase (each is a Redis
 * write and a QueueEvents message), the first of each phase at once, so no phase is coalesced away
 * however fast it runs, and a fraction that never goes back.
 */
import type { JobProgress } from '@ddinit/contracts';

export interface ProgressReporterOptions {
  /**
   * Least time between two updates, in milliseconds.
   * @defaultValue 200
   */
  minIntervalMs?: number;
}

/** What the engine reports; extra fields (its message) are dropped. */
export type EngineProgress = { phase: string; fraction: number; layer?: number; layers?: number };

export class ProgressReporter {
  private readonly minIntervalMs: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastSentPhase: string | undefined;
  private fraction = 0;
  private pending: JobProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Updates go out one after another, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (progress: JobProgress) => Promise<void>,
    options: ProgressReporterOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 200;
  }

  /** Sends `progress` now if it starts a phase or the interval has passed, else the latest once it has. */
  report(progress: EngineProgress): void {
    this.fraction = Math.min(1, Math.max(this.fraction, progress.fraction));
    this.pending = {
      phase: progress.phase,
      fraction: this.fraction,
      ...(progress.layer !== undefined && { layer: progress.layer }),
      ...(progress.layers !== undefined && { layers: progress.layers }),
    };
    const wait =
      progress.phase === this.lastSentPhase ? this.lastSentAt + this.minIntervalMs - Date.now() : 0;
    if (wait <= 0) this.sendPending();
    else this.timer ??= setTimeout(() => this.sendPending(), wait);
  }

  /** Sends what is pending at once and waits for every update to be delivered. */
  async flush(): Promise<void> {
    this.sendPending();
    await this.chain;
  }

  /** Drops what is pending; no update goes out after this. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private sendPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const progress = this.pending;
    if (progress === undefined) return;
    this.pending = undefined;
    this.lastSentAt = Date.now();
    this.lastSentPhase = progress.phase;
    // A lost progress update must not fail the job: the next one supersedes it.
    this.chain = this.chain.then(() => this.send(progress)).catch(() => {});
  }
}
