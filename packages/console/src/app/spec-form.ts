/**
 * The submit form as data: every field is the text of one input, named by its path in the JobSpec
 * (`dataset.sample`, `init.seed`). Empty fields are left out so the API fills its defaults; the
 * API's field errors (`body.dataset.sample`) come back to the input of the same name.
 */
import type { BatchSpecInput, FieldError, JobSpecInput } from '@ddinit/contracts';

export const SPEC_FIELDS = [
  'model.uri',
  'dataset.uri',
  'output.uri',
  'dataset.sample',
  'dataset.heldOut',
  'init.method',
  'init.random',
  'init.between',
  'init.batchSize',
  'init.seed',
  'priority',
  'labels',
] as const;
export type SpecField = (typeof SPEC_FIELDS)[number];
export type SpecValues = Partial<Record<SpecField, string>>;

const NUMBER_FIELDS = new Set<SpecField>([
  'dataset.sample',
  'dataset.heldOut',
  'init.batchSize',
  'init.seed',
  'priority',
]);

/**
 * `team=vision, run=3` → `{team: 'vision', run: '3'}`. Malformed pairs are kept as they are typed, so
 * the API names the bad label rather than the console dropping it.
 */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals < 0) labels[trimmed] = '';
    else labels[trimmed.slice(0, equals).trim()] = trimmed.slice(equals + 1).trim();
  }
  return labels;
}

/**
 * A number field's text as a number; text that is not one is sent as it is, so the API's message
 * ("expected number") names the field instead of the console guessing.
 */
function numberOrText(text: string): number | string {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}

/** The JobSpec the filled fields describe; blank optional fields are absent. */
export function specFromValues(values: SpecValues): JobSpecInput {
  const spec: Record<string, unknown> = {};
  for (const field of SPEC_FIELDS) {
    const text = values[field]?.trim() ?? '';
    if (text === '') continue;
    const value =
      field === 'labels' ? parseLabels(text) : NUMBER_FIELDS.has(field) ? numberOrText(text) : text;
    setPath(spec, field.split('.'), value);
  }
  // Required objects are present even when blank, so the API reports their missing URIs by name.
  for (const part of ['model', 'dataset', 'output'] as const) spec[part] ??= {};
  return spec as unknown as JobSpecInput;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  target[head] ??= {};
  setPath(target[head] as Record<string, unknown>, rest, value);
}

/**
 * Splits the API's field errors into those of known inputs (by field name) and the rest. `prefix`
 * is where the spec sits in the request body: `body.` for a job, `body.templates.0.` for a schedule.
 * A deeper error (`body.labels.bad key`) goes to the nearest field above it.
 */
export function errorsByField(
  errors: readonly FieldError[],
  prefix: string,
  fields: readonly string[] = SPEC_FIELDS,
): { byField: Record<string, string>; other: FieldError[] } {
  const byField: Record<string, string> = {};
  const other: FieldError[] = [];
  for (const error of errors) {
    const field = error.path.startsWith(prefix)
      ? nearestField(error.path.slice(prefix.length), fields)
      : undefined;
    if (field === undefined) other.push(error);
    else byField[field] = byField[field] ? `${byField[field]}; ${error.message}` : error.message;
  }
  return { byField, other };
}

function nearestField(path: string, fields: readonly string[]): string | undefined {
  const parts = path.split('.');
  for (let length = parts.length; length > 0; length--) {
    const candidate = parts.slice(0, length).join('.');
    if (fields.includes(candidate)) return candidate;
  }
  return undefined;
}

/** A batch as typed: a JSON array of specs, or `{"jobs": [...]}` as the API takes it. Throws on bad JSON. */
export function parseBatchText(text: string): BatchSpecInput {
  const parsed = JSON.parse(text) as unknown;
  if (Array.isArray(parsed)) return { jobs: parsed as JobSpecInput[] };
  return parsed as BatchSpecInput;
}
