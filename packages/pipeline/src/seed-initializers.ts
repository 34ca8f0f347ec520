/**
 * tfjs-layers draws a topology-only model's initial weights with unseeded initializers. The layers
 * ddinit does not initialize (excluded ones, embeddings, recurrent kernels) would then differ from
 * run to run; giving every initializer a seed derived from the run's seed and the layer's name makes
 * the whole checkpoint reproducible. Only the copy used to build the model is changed: the written
 * model.json keeps the user's topology.
 */
import { createHash } from 'node:crypto';

export function seedInitializers<T>(modelTopology: T, seed: number): T {
  // The topology came from JSON, so a JSON round trip copies it exactly, with arrays of this realm
  // (structuredClone's are not under a vm context, such as a test runner's, and tfjs cannot iterate them).
  const copy = JSON.parse(JSON.stringify(modelTopology)) as T;
  visit(copy, seed, '');
  return copy;
}

function visit(node: unknown, seed: number, layerName: string): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, seed, layerName);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  const config = object.config as Record<string, unknown> | undefined;
  const name = typeof config?.name === 'string' ? config.name : layerName;
  for (const [key, value] of Object.entries(object)) {
    const initializerConfig = (value as { config?: Record<string, unknown> } | null)?.config;
    if (
      key.endsWith('initializer') &&
      initializerConfig &&
      'seed' in initializerConfig &&
      initializerConfig.seed == null
    ) {
      initializerConfig.seed = derivedSeed(seed, name, key);
    }
    visit(value, seed, name);
  }
}

function derivedSeed(seed: number, layer: string, key: string): number {
  return createHash('sha256').update(`${seed}\u0000${layer}\u0000${key}`).digest().readUInt32LE(0);
}
