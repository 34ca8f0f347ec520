import { DEFAULT_LIMITS, isDdinitError } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { modelInvalid, modelTooLarge } from './errors.js';
import { withParameterBudget } from './parameter-budget.js';

export interface BuildModelOptions {
  /**
   * Where the artifacts came from (a URI), named in error messages.
   * @defaultValue `'the model artifacts'`
   */
  source?: string;
  /**
   * Most parameters the model may create; the build stops, with `model_too_large`, before the weight
   * that would go over is allocated.
   * @defaultValue `DEFAULT_LIMITS.maxParameters` (500_000_000)
   */
  maxParameters?: number;
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
  const source = options.source ?? 'the model artifacts';
  const limit = options.maxParameters ?? DEFAULT_LIMITS.maxParameters;
  const budgeted = <T>(build: () => Promise<T>) =>
    withParameterBudget(
      {
        limit,
        used: 0,
        exceeded: (layer, weight, shape, total) =>
          modelTooLarge(
            source,
            `layer ${JSON.stringify(layer.name)} (${layer.getClassName()}) would create weight ` +
              `${JSON.stringify(weight)} of shape [${shape.join(', ')}], bringing its parameters to`,
            total,
            limit,
            'maxParameters',
            'parameters',
          ),
      },
      build,
    );
  try {
    return await budgeted(() => tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true }));
  } catch (error) {
    if (isDdinitError(error)) throw error;
    // tfjs throws plain Errors (ValueError and friends); keep its words, which mostly name the layer or weight.
    let problem = error instanceof Error ? error.message : String(error);
    if (problem.startsWith('Shape mismatch'))
      problem += await budgeted(() => namesOfMisshapenWeights(artifacts));
    throw Object.assign(modelInvalid(source, problem), { cause: error });
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
