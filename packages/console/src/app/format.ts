/** How numbers, sizes, times and progress read in the console. Pure functions, tested in format.test.ts. */
import type { JobProgress, JobStatus } from '@ddinit/contracts';

/** Statuses a job still leaves: the lists poll quickly while one of these is shown. */
export function isActive(status: JobStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** A 0..1 fraction as a whole percentage, floored so "100 %" means done. */
export function percent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  return `${Math.floor(clamped * 100)} %`;
}

/** "phase · layer 3/12", or the phase alone; before any progress, whether it is still to come. */
export function progressLabel(progress: JobProgress | null, status: JobStatus): string {
  if (!progress) return isActive(status) ? 'waiting' : 'not started';
  const layer =
    progress.layer !== undefined && progress.layers !== undefined
      ? ` · layer ${progress.layer}/${progress.layers}`
      : '';
  return `${progress.phase}${layer}`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, three significant digits: 1 234 567 → "1.23 MB". */
export function bytes(count: number): string {
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A duration in ms: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

const RELATIVE_UNITS: [unit: string, ms: number, upTo: number][] = [
  ['s', 1000, 60],
  ['min', 60_000, 60],
  ['h', 3_600_000, 24],
  ['d', 86_400_000, 7],
];

/** "just now", "5 min ago", "in 3 h"; beyond a week the date itself. */
export function relativeTime(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const delta = at - now;
  const abs = Math.abs(delta);
  if (abs < 10_000) return 'just now';
  for (const [unit, size, upTo] of RELATIVE_UNITS) {
    const amount = Math.floor(abs / size);
    if (amount < upTo) return delta < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`;
  }
  return iso.slice(0, 10);
}

/** How long a job ran (or has been running), or undefined before it started. */
export function elapsed(
  startedAt: string | null,
  finishedAt: string | null,
  now: number,
): string | undefined {
  if (!startedAt) return undefined;
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return duration(Math.max(0, end - Date.parse(startedAt)));
}

/** The last path segment of a storage URI, for narrow columns: `s3://b/runs/a/model.json` → `model.json`. */
export function shortUri(uri: string): string {
  const trimmed = uri.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 && slash < trimmed.length - 1 ? trimmed.slice(slash + 1) : uri;
}

/** An interval in ms for schedules: "every 90 s", "every 2 h". */
export function every(ms: number): string {
  return `every ${duration(ms)}`;
}
