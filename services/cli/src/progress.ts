/**
 * Progress of a job, always on stderr (stdout carries only results): a bar on a terminal, one plain
 * line per phase otherwise, nothing with --quiet (or with --json when stderr is not a terminal).
 */
import type { JobPhase, JobProgress } from '@ddinit/pipeline';
import cliProgress from 'cli-progress';

export interface ProgressSink {
  update(progress: JobProgress): void;
  /** Ends the display (a bar keeps its last state on its own line). */
  stop(): void;
}

export interface ProgressChoice {
  stream: NodeJS.WriteStream;
  quiet: boolean;
  json: boolean;
}

/** What each phase does, for the plain one-line-per-phase display. */
const PHASES: Record<JobPhase, string> = {
  load: 'reading the model',
  data: 'reading the data sample',
  prepare: 'analysing the model',
  within: 'within-layer normalization',
  between: 'between-layer normalization',
  report: 'measuring the result',
  save: 'writing the checkpoint',
};
const PHASE_WIDTH = Math.max(...Object.keys(PHASES).map((phase) => phase.length));

export function createProgress({ stream, quiet, json }: ProgressChoice): ProgressSink {
  if (quiet) return { update: () => {}, stop: () => {} };
  if (stream.isTTY) return new BarProgress(stream);
  if (json) return { update: () => {}, stop: () => {} };
  return new LineProgress(stream);
}

/** `layer 3/7`, when the phase goes layer by layer. */
function layerText(progress: JobProgress): string {
  return progress.layer !== undefined && progress.layers !== undefined
    ? `layer ${progress.layer}/${progress.layers}`
    : '';
}

class BarProgress implements ProgressSink {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar({
      stream,
      format: '{phase} {layer} [{bar}] {percentage}% | {duration_formatted}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
    });
  }

  update(progress: JobProgress): void {
    const payload = { phase: progress.phase.padEnd(PHASE_WIDTH), layer: layerText(progress).padEnd(13) };
    const value = Math.round(progress.fraction * 1000);
    if (!this.started) {
      this.bar.start(1000, value, payload);
      this.started = true;
    } else this.bar.update(value, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}

class LineProgress implements ProgressSink {
  private phase: JobPhase | undefined;
  private readonly started = performance.now();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(progress: JobProgress): void {
    if (progress.phase === this.phase) return;
    this.phase = progress.phase;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1).padStart(5);
    const percent = `${Math.floor(progress.fraction * 100)}%`.padStart(4);
    const layers = progress.layers !== undefined ? `, ${progress.layers} layers` : '';
    const what = PHASES[progress.phase] ?? progress.message;
    this.stream.write(
      `ddinit: [${seconds}s ${percent}] ${progress.phase.padEnd(PHASE_WIDTH)} ${what}${layers}\n`,
    );
  }

  stop(): void {}
}
