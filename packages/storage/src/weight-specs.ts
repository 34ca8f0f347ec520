import type { io } from '@tensorflow/tfjs';

/** Bytes per element as tfjs stores each dtype in weight shards. Strings are length-prefixed: unsupported. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Quantized weights are stored in the quantization dtype; tfjs widens them on decode. */
const QUANTIZED_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/** Elements in a tensor of `shape` (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

/**
 * Bytes each element of a weight occupies in the shards, or a problem when tfjs cannot store it with a
 * fixed size (a string weight, an unknown dtype).
 */
export function storedElementBytes(spec: io.WeightsManifestEntry): number | { problem: string } {
  if (spec.quantization !== undefined) {
    const bytes = QUANTIZED_BYTES[spec.quantization.dtype];
    return bytes ?? { problem: `unknown quantization dtype ${JSON.stringify(spec.quantization.dtype)}` };
  }
  const bytes = DTYPE_BYTES[spec.dtype];
  return bytes ?? { problem: `dtype ${JSON.stringify(spec.dtype)} is not supported` };
}

/** Bytes a validated manifest entry occupies in the concatenated shards. */
export function weightSpecBytes(spec: io.WeightsManifestEntry): number {
  const bytes = storedElementBytes(spec);
  if (typeof bytes !== 'number') throw new TypeError(`weight ${spec.name}: ${bytes.problem}`);
  return elementCount(spec.shape) * bytes;
}
