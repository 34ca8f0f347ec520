/** Number formats of the summary. */

/** Three significant digits (`0.467`, `12.3`, `0.000281`, `1.23e+3`, `1.23e-7`). */
export function sig3(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return value === 0 ? '0' : value.toPrecision(3);
}

/** Scientific notation with three significant digits (`5.36e-1`). */
export function sci3(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return value.toExponential(2);
}

/** `before → after`. */
export function arrow(before: string, after: string): string {
  return `${before} → ${after}`;
}

/** Whole milliseconds. */
export function ms(value: number): string {
  return `${Math.round(value)}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
