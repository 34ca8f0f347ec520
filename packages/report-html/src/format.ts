/** Number formats of the page (the client script has its own copy for chart axes and legends). */

/** Three significant digits (`0.785`, `12.3`, `2.16e−4`, `1e−5`); scientific below 1e-3 and from 1e5 so near-zero means stay readable. */
export function sig3(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const text =
    abs < 1e-3 || abs >= 1e5
      ? value.toExponential(2).replace(/\.?0*e\+?/, 'e')
      : String(Number(value.toPrecision(3)));
  return text.replaceAll('-', '−');
}

/** `12 ms`, `3.78 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toPrecision(3))} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** `3×3×16×32`. */
export function shape(dims: readonly number[]): string {
  return dims.length === 0 ? '–' : dims.join('×');
}

export function percent(part: number, total: number): string {
  if (!(total > 0)) return '–';
  const p = (100 * part) / total;
  return p < 1 && p > 0 ? '<1%' : `${Math.round(p)}%`;
}
