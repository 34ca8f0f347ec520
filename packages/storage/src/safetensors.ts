import * as tf from '@tensorflow/tfjs';
import { safetensorsInvalid, weightUnsupported } from './errors.js';
import { elementCount } from './weight-specs.js';

/** A weight by its tfjs name (`conv2d/kernel`), in the order tfjs lists the model's weights. */
export interface NamedWeight {
  name: string;
  tensor: tf.Tensor;
}

/** The dtypes written, with their safetensors names and element sizes. */
const DTYPES = {
  float32: { safetensors: 'F32', bytes: 4 },
  int32: { safetensors: 'I32', bytes: 4 },
  bool: { safetensors: 'BOOL', bytes: 1 },
} as const;
type SupportedDtype = keyof typeof DTYPES;
const FROM_SAFETENSORS: Readonly<Record<string, SupportedDtype>> = {
  F32: 'float32',
  I32: 'int32',
  BOOL: 'bool',
};

/** The header's reserved key; safetensors requires its values to be strings. */
const METADATA_KEY = '__metadata__';

/** A tensor's layout inside the data section of a safetensors file. */
interface TensorLayout {
  name: string;
  dtype: string;
  shape: number[];
}

/**
 * Encodes weights as a safetensors file (https://github.com/huggingface/safetensors): a little-endian
 * u64 header length, a JSON header padded with spaces to a multiple of 8 bytes, then the raw tensor
 * data in the given order. Tensors are keyed by their tfjs names; `__metadata__` records `format: tfjs`.
 */
export function encodeSafetensors(weights: readonly NamedWeight[]): Uint8Array {
  const layouts = weights.map(({ name, tensor }) => ({ name, dtype: tensor.dtype, shape: tensor.shape }));
  // Check before reading any data off the backend.
  layouts.forEach(checkSupported);
  const chunks = weights.map(({ tensor }) => {
    const values = tensor.dataSync();
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  });
  const data = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return layoutSafetensors(layouts, data);
}

/**
 * Builds a safetensors file from weights already laid out back to back the way `tf.io.encodeWeights`
 * writes them (float32, int32 and bool are raw little-endian values in both formats), so a checkpoint
 * reads its tensors off the backend once.
 */
export function layoutSafetensors(layouts: readonly TensorLayout[], data: Uint8Array): Uint8Array {
  const header: Record<string, unknown> = {};
  const names = new Set<string>();
  let offset = 0;
  for (const layout of layouts) {
    const { safetensors, bytes } = DTYPES[checkSupported(layout)];
    if (names.has(layout.name)) throw weightUnsupported(layout.name, 'another weight has the same name');
    names.add(layout.name);
    const end = offset + elementCount(layout.shape) * bytes;
    header[layout.name] = { dtype: safetensors, shape: layout.shape, data_offsets: [offset, end] };
    offset = end;
  }
  if (offset !== data.length) {
    throw new RangeError(`safetensors layout describes ${offset} bytes but the data holds ${data.length}`);
  }
  header[METADATA_KEY] = { format: 'tfjs' };

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padding the header keeps the data section 8-byte aligned, so readers can map tensors in place.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const file = new Uint8Array(8 + headerLength + data.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.length, 8 + headerLength);
  file.set(toLittleEndian(data, layouts), 8 + headerLength);
  return file;
}

/** The tensors and metadata of a safetensors file. Only F32, I32 and BOOL tensors are read. */
export interface DecodedSafetensors {
  weights: NamedWeight[];
  metadata: Record<string, string>;
}

/**
 * Decodes a safetensors file into tensors, in the order of their data. The caller owns (and disposes)
 * the tensors. `source` names the file in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'the data'): DecodedSafetensors {
  const invalid = (problem: string) => safetensorsInvalid(source, problem);
  if (bytes.length < 8) throw invalid(`it is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw invalid(`the header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw invalid(`the header is not UTF-8 JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw invalid('the header is not a JSON object');
  }
  const data = bytes.subarray(dataStart);
  const { [METADATA_KEY]: metadata = {}, ...entries } = header as Record<string, unknown>;
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    Object.values(metadata).some((v) => typeof v !== 'string')
  ) {
    throw invalid('__metadata__ must map names to strings');
  }

  const tensors = Object.entries(entries).map(([name, entry]) => {
    const { dtype, shape, begin, end } = readEntry(name, entry, data.length, invalid);
    // A copy (Buffer's slice() would not copy), so the typed array is aligned and owns its buffer.
    const raw = toLittleEndian(new Uint8Array(data.subarray(begin, end)), [{ name, dtype, shape }]);
    const values =
      dtype === 'bool' ? raw : dtype === 'int32' ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer);
    return { name, begin, end, shape, dtype, values };
  });
  // The format forbids holes and overlaps: the tensors, sorted by offset, must tile the data exactly.
  tensors.sort((a, b) => a.begin - b.begin);
  let covered = 0;
  for (const { name, begin, end } of tensors) {
    if (begin !== covered) throw invalid(`tensor ${name} starts at ${begin}, expected ${covered}`);
    covered = end;
  }
  if (covered !== data.length) throw invalid(`the tensors cover ${covered} of ${data.length} data bytes`);
  return {
    weights: tensors.map(({ name, values, shape, dtype }) => ({
      name,
      tensor: tf.tensor(values, shape, dtype),
    })),
    metadata: metadata as Record<string, string>,
  };
}

function readEntry(
  name: string,
  entry: unknown,
  dataLength: number,
  invalid: (problem: string) => Error,
): { dtype: SupportedDtype; shape: number[]; begin: number; end: number } {
  const { dtype: stored, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
  const dtype = FROM_SAFETENSORS[String(stored)];
  if (dtype === undefined) {
    throw invalid(`tensor ${name} has dtype ${JSON.stringify(stored)}; only F32, I32 and BOOL are read`);
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw invalid(`tensor ${name} has shape ${JSON.stringify(shape)}`);
  }
  const [begin, end] = Array.isArray(offsets) ? offsets : [];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin > end || end > dataLength) {
    throw invalid(
      `tensor ${name} has data_offsets ${JSON.stringify(offsets)} outside ${dataLength} data bytes`,
    );
  }
  const needed = elementCount(shape) * DTYPES[dtype].bytes;
  if (end - begin !== needed) {
    throw invalid(
      `tensor ${name} spans ${end - begin} bytes but ${stored} ${JSON.stringify(shape)} needs ${needed}`,
    );
  }
  return { dtype, shape, begin, end };
}

function checkSupported(layout: TensorLayout): SupportedDtype {
  if (layout.name === METADATA_KEY)
    throw weightUnsupported(layout.name, 'the name is reserved by safetensors');
  if (!(layout.dtype in DTYPES)) {
    throw weightUnsupported(
      layout.name,
      `dtype ${layout.dtype} has no safetensors equivalent here (float32, int32, bool)`,
    );
  }
  return layout.dtype as SupportedDtype;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Typed arrays use the platform's byte order; safetensors is little-endian. Every platform tfjs runs on
 * in practice is little-endian, so this copies only on big-endian machines (s390x).
 */
function toLittleEndian(data: Uint8Array, layouts: readonly TensorLayout[]): Uint8Array {
  if (LITTLE_ENDIAN) return data;
  const swapped = new Uint8Array(data);
  let offset = 0;
  for (const layout of layouts) {
    const { bytes } = DTYPES[checkSupported(layout)];
    const end = offset + elementCount(layout.shape) * bytes;
    if (bytes === 4) for (let i = offset; i < end; i += 4) swapped.subarray(i, i + 4).reverse();
    offset = end;
  }
  return swapped;
}
