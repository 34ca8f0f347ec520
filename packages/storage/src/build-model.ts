import { isDdinitError } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { modelInvalid } from './errors.js';

export interface BuildModelOptions {
  /**
   * Where the artifacts came from (a URI), named in error messages.
   * @defaultValue `'the model artifacts'`
   */
  source?: string;
}

/**
 * Builds a `LayersModel` from artifacts (see `readModel`). Weights load strictly: every weight of the
 * model must be in the artifacts and every weight in the artifacts must belong to the model. Without
 * weights, tfjs initializes the model with the initializers its topology names.
 */
export async function buildModel(
  artifacts: tf.io.ModelArtifacts,
  options: BuildModelOptions = {},
): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true });
  } catch (error) {
    if (isDdinitError(error)) throw error;
    // tfjs throws plain Errors (ValueError and friends); keep its words, which mostly name the layer or weight.
    let problem = error instanceof Error ? error.message : String(error);
    if (problem.startsWith('Shape mismatch')) problem += await namesOfMisshapenWeights(artifacts);
    throw Object.assign(modelInvalid(options.source ?? 'the model artifacts', problem), { cause: error });
  }
}

/**
 * tfjs's "Shape mismatch: [3,3,2,3] vs. [2,3,3,3]" does not say which weight. Building the bare
 * architecture (only on this failure path: it runs every initializer) tells which specs disagree.
 */
async function namesOfMisshapenWeights(artifacts: tf.io.ModelArtifacts): Promise<string> {
  let bare: tf.LayersModel;
  try {
    bare = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology }));
  } catch {
    return '';
  }
  const expected = new Map(bare.weights.map((weight) => [weight.originalName, weight.shape]));
  bare.dispose();
  const wrong = (artifacts.weightSpecs ?? []).flatMap((spec) => {
    const shape = expected.get(spec.name);
    return shape && JSON.stringify(shape) !== JSON.stringify(spec.shape)
      ? [`${spec.name} is [${spec.shape}] in the weights but [${shape}] in the model`]
      : [];
  });
  return wrong.length > 0 ? ` (${wrong.join('; ')})` : '';
}
