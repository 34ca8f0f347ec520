import type { ObjectStore } from '@ddinit/storage';
import { dataEmpty, dataShapeMismatch, npyInvalid } from './errors.js';
import { channelCount, type InputSpec, sampleSize } from './input-spec.js';
import { parseNpy } from './npy.js';
import { normalizeBytes, normalizeFloats, type Preprocessing } from './preprocessing.js';
import { drawSample, type SampleData, type SampleRequest } from './sampling.js';

/**
 * Reads a `.npy` array of shape `[N, ...input.shape]` (or `[N, H, W]` for an `[H, W, 1]` input) and draws rows
 * from it. uint8 arrays are scaled like pixels; float32 arrays are taken as they are. Either way `mean`/`std`
 * apply, and the channel order is the array's own.
 */
export async function readNpySample(
  store: ObjectStore,
  key: string,
  input: InputSpec,
  preprocessing: Preprocessing,
  request: SampleRequest,
  signal?: AbortSignal,
): Promise<SampleData> {
  const uri = store.uri(key);
  // The ObjectStore has no ranged reads, so the whole array is read; only the drawn rows are converted.
  const array = parseNpy(await store.get(key), uri);
  signal?.throwIfAborted();
  if (!fitsInput(array.shape, input.shape))
    throw dataShapeMismatch(
      uri,
      `the array has shape [${array.shape.join(', ')}] but the model expects [N, ${input.shape.join(', ')}]`,
    );
  const rows = array.shape[0]!;
  if (rows === 0) throw dataEmpty(uri, 'the array has 0 rows');

  const draw = drawSample(
    Array.from({ length: rows }, (_, row) => row),
    request,
    uri,
  );
  const size = sampleSize(input);
  const channels = channelCount(input);
  const gather = (drawn: number[]): Float32Array => {
    const out = new Float32Array(drawn.length * size);
    drawn.forEach((row, slot) => {
      if (array.dtype === 'uint8') {
        normalizeBytes(
          array.data.subarray(row * size, (row + 1) * size),
          out,
          slot * size,
          channels,
          preprocessing,
        );
        return;
      }
      const values = array.data.subarray(row * size, (row + 1) * size);
      // One NaN would turn every statistic of the initialization into NaN; say where it is instead.
      const bad = values.findIndex((value) => !Number.isFinite(value));
      if (bad >= 0) throw npyInvalid(uri, `row ${row} holds ${values[bad]} at position ${bad}`);
      normalizeFloats(values, out, slot * size, channels, preprocessing);
    });
    return out;
  };
  const name = (row: number) => `${key}[${row}]`;
  return {
    init: gather(draw.init),
    heldOut: gather(draw.heldOut),
    items: { init: draw.init.map(name), heldOut: draw.heldOut.map(name) },
  };
}

/** `[N, ...input]`, or `[N, H, W]` for an `[H, W, 1]` input: greyscale arrays are often saved without the channel axis. */
function fitsInput(shape: readonly number[], input: readonly number[]): boolean {
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((size, i) => size === b[i]);
  const rest = shape.slice(1);
  if (shape.length === 0) return false;
  if (same(rest, input)) return true;
  return input.length === 3 && input[2] === 1 && same(rest, input.slice(0, 2));
}
