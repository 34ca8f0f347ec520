import * as tf from '@tensorflow/tfjs';
import { randomTensor, relativeError, TOLERANCE } from './test-support/compare.js';
import { useWasmBackend } from './test-support/wasm-session.js';

useWasmBackend();

/** Every layer kind whose gradient runs through a kernel of this package. */
function smallConvNet(): tf.LayersModel {
  const seed = (n: number) => tf.initializers.glorotUniform({ seed: n });
  const relu = 'relu' as const;
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 14, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: relu,
        kernelInitializer: seed(1),
      }),
      tf.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: relu,
        kernelInitializer: seed(2),
      }),
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'same',
        activation: relu,
        depthwiseInitializer: seed(3),
      }),
      tf.layers.separableConv2d({
        filters: 8,
        kernelSize: 3,
        padding: 'valid',
        activation: relu,
        depthwiseInitializer: seed(4),
        pointwiseInitializer: seed(5),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: relu, kernelInitializer: seed(6) }),
      tf.layers.dense({ units: 3, kernelInitializer: seed(7) }),
    ],
  });
}

async function gradients(model: tf.LayersModel, backend: string): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const grads = tf.tidy(() => {
    const x = randomTensor([4, 16, 14, 3], 11);
    const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
    return tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
    ).grads;
  });
  const values = new Map(
    Object.entries(grads).map(([name, grad]) => [name, Float32Array.from(grad.dataSync())]),
  );
  tf.dispose(grads);
  return values;
}

test('variableGrads of a small conv net on wasm equal those on cpu', async () => {
  const model = smallConvNet();
  const onCpu = await gradients(model, 'cpu');
  const onWasm = await gradients(model, 'wasm');
  expect([...onWasm.keys()].sort()).toEqual([...onCpu.keys()].sort());
  expect(onCpu.size).toBe(model.trainableWeights.length);
  const failing = [...onCpu]
    .map(([name, expected]) => ({ name, error: relativeError(onWasm.get(name)!, expected) }))
    .filter(({ error }) => !(error <= TOLERANCE));
  expect(failing).toEqual([]);
  model.dispose();
});
