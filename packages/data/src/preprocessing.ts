import { Preprocessing } from '@ddinit/contracts';
import { preprocessingInvalid } from './errors.js';

export { Preprocessing, type PreprocessingInput } from '@ddinit/contracts';

/** Fills defaults and checks `mean`/`std` against the input's channel count. */
export function resolvePreprocessing(preprocessing: Partial<Preprocessing>, channels: number): Preprocessing {
  const parsed = Preprocessing.safeParse(preprocessing);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'preprocessing'}: ${issue.message}`,
    );
    throw preprocessingInvalid(problems.join('; '));
  }
  for (const field of ['mean', 'std'] as const) {
    const values = parsed.data[field];
    if (values && values.length !== 1 && values.length !== channels)
      throw preprocessingInvalid(
        `${field} has ${values.length} values but the model input has ${channels} channel${channels === 1 ? '' : 's'} (give 1 or ${channels})`,
      );
  }
  return parsed.data;
}

const scales: Record<Preprocessing['scale'], (value: number) => number> = {
  // Divide rather than multiply by 1/255 so that values match the usual `x / 255` exactly.
  unit: (value) => value / 255,
  symmetric: (value) => value / 127.5 - 1,
  none: (value) => value,
};

/** Per-channel `(x - mean) / std`, or identity when neither is given. */
function standardizer(
  preprocessing: Preprocessing,
  channels: number,
): (value: number, channel: number) => number {
  const { mean, std } = preprocessing;
  if (!mean && !std) return (value) => value;
  const means = Array.from({ length: channels }, (_, c) =>
    mean ? (mean[mean.length === 1 ? 0 : c] ?? 0) : 0,
  );
  const stds = Array.from({ length: channels }, (_, c) => (std ? (std[std.length === 1 ? 0 : c] ?? 1) : 1));
  return (value, channel) => (value - means[channel]!) / stds[channel]!;
}

/**
 * Writes 8-bit values (channels-last, RGB order) into `out` at `offset` as scaled, standardized floats.
 * `swapRedBlue` turns RGB(A) into BGR(A) for models trained on OpenCV-loaded images.
 */
export function normalizeBytes(
  source: Uint8Array,
  out: Float32Array,
  offset: number,
  channels: number,
  preprocessing: Preprocessing,
  swapRedBlue = false,
): void {
  const scale = scales[preprocessing.scale];
  const standardize = standardizer(preprocessing, channels);
  const swap = swapRedBlue && channels >= 3;
  for (let i = 0; i < source.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const from = swap && c !== 1 && c < 3 ? 2 - c : c;
      out[offset + i + c] = standardize(scale(source[i + from]!), c);
    }
  }
}

/** Writes float values (channels-last) into `out` at `offset`, standardized but not scaled. */
export function normalizeFloats(
  source: Float32Array,
  out: Float32Array,
  offset: number,
  channels: number,
  preprocessing: Preprocessing,
): void {
  const standardize = standardizer(preprocessing, channels);
  for (let i = 0; i < source.length; i++) out[offset + i] = standardize(source[i]!, i % channels);
}
