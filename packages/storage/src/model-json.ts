import type { io } from '@tensorflow/tfjs';
import { modelInvalid, modelInvalidJson, modelManifestInvalid, modelNotLayersModel } from './errors.js';
import { describeJsonError } from './json-syntax.js';
import { layerGraphProblem } from './layer-graph.js';
import { storedElementBytes } from './weight-specs.js';

/**
 * Parses and checks a tfjs `model.json` (format `layers-model`). Only the structure ddinit relies on is
 * checked here; whether the layers themselves make sense is for tfjs to say when the model is built.
 */
export function parseModelJson(bytes: Uint8Array, uri: string): io.ModelJSON {
  let text: string;
  try {
    // decode() drops a leading byte-order mark, which JSON.parse would reject.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw modelInvalidJson(uri, 'the file is not UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw modelInvalidJson(uri, describeJsonError(text, error));
  }
  checkLayersModel(json, uri);
  if (nestsDeeperThan(json.modelTopology, MAX_TOPOLOGY_DEPTH))
    throw modelInvalid(uri, `modelTopology nests more than ${MAX_TOPOLOGY_DEPTH} levels deep`);
  const graphProblem = layerGraphProblem(json.modelTopology);
  if (graphProblem !== undefined) throw modelInvalid(uri, graphProblem);
  if (json.weightsManifest !== undefined && json.weightsManifest !== null) {
    checkManifest(json.weightsManifest, uri);
  }
  return json as unknown as io.ModelJSON;
}

type JsonObject = Record<string, unknown>;

/**
 * Keras topologies nest a few levels per wrapped layer or inner model; tfjs (and the initializer
 * seeding) walk them recursively, so a pathologically deep one would overflow the stack.
 */
const MAX_TOPOLOGY_DEPTH = 200;

/** Whether arrays and objects in `value` nest deeper than `limit`, found without recursion. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkLayersModel(json: unknown, uri: string): asserts json is JsonObject {
  if (!isObject(json)) throw modelNotLayersModel(uri, `it holds ${describeValue(json)}, not an object`);
  const { format, modelTopology } = json;
  if (format === 'graph-model') {
    throw modelNotLayersModel(
      uri,
      'it is a graph-model (a converted SavedModel); ddinit needs a layers-model ' +
        '(tensorflowjs_converter --output_format tfjs_layers_model)',
    );
  }
  if (format !== undefined && format !== 'layers-model') {
    throw modelNotLayersModel(uri, `its format is ${JSON.stringify(format)}, expected "layers-model"`);
  }
  if (!isObject(modelTopology)) {
    throw modelNotLayersModel(uri, `modelTopology is ${describeValue(modelTopology)}, expected an object`);
  }
  // Models converted from Keras HDF5 wrap the architecture in `model_config`; tfjs unwraps it the same way.
  const config = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (typeof config.class_name !== 'string' || typeof config.config !== 'object' || config.config === null) {
    throw modelNotLayersModel(uri, 'modelTopology has no Keras model config (class_name and config)');
  }
}

function checkManifest(manifest: unknown, uri: string): void {
  if (!Array.isArray(manifest)) {
    throw modelManifestInvalid(uri, `it is ${describeValue(manifest)}, expected an array of groups`);
  }
  const names = new Set<string>();
  manifest.forEach((group: unknown, g) => {
    const where = `group ${g}`;
    if (!isObject(group)) throw modelManifestInvalid(uri, `${where} is ${describeValue(group)}`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string')) {
      throw modelManifestInvalid(uri, `${where}: paths must be an array of strings`);
    }
    if (!Array.isArray(weights)) throw modelManifestInvalid(uri, `${where}: weights must be an array`);
    weights.forEach((spec: unknown, w) => {
      const problem = weightSpecProblem(spec);
      const name = isObject(spec) && typeof spec.name === 'string' ? JSON.stringify(spec.name) : `#${w}`;
      if (problem !== undefined) throw modelManifestInvalid(uri, `${where}, weight ${name}: ${problem}`);
      // Weights are looked up by name when loading; a repeated name would make one of them unreachable.
      if (names.has(name)) throw modelManifestInvalid(uri, `weight ${name} is listed twice`);
      names.add(name);
    });
  });
}

function weightSpecProblem(spec: unknown): string | undefined {
  if (!isObject(spec)) return `it is ${describeValue(spec)}, expected an object`;
  if (typeof spec.name !== 'string' || spec.name === '') return 'name must be a non-empty string';
  const { shape, quantization } = spec;
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    return `shape ${JSON.stringify(shape)} is not a list of non-negative integers`;
  }
  if (typeof spec.dtype !== 'string') return 'dtype must be a string';
  if (quantization !== undefined) {
    if (!isObject(quantization) || typeof quantization.dtype !== 'string') {
      return 'quantization must be an object with a dtype';
    }
    const affine = quantization.dtype === 'uint8' || quantization.dtype === 'uint16';
    if (affine && (typeof quantization.scale !== 'number' || typeof quantization.min !== 'number')) {
      return `${quantization.dtype} quantization needs numeric scale and min`;
    }
  }
  const bytes = storedElementBytes(spec as unknown as io.WeightsManifestEntry);
  return typeof bytes === 'number' ? undefined : bytes.problem;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
