/**
 * The model as a list of steps in topological order, each one call of a layer on concrete tensors.
 * Built by walking back from the model's outputs, so Sequential and functional models look alike.
 */
import type * as tf from '@tensorflow/tfjs';
import { modelInvalid, unsupportedLayer } from './errors.js';
import { assertSupportedTopology, isAffineClass, isSupportedClass } from './layer-rules.js';

export type Layer = tf.layers.Layer;
type SymbolicTensor = tf.SymbolicTensor;

export interface GraphStep {
  layer: Layer;
  className: string;
  /** Ids of the tensors this call reads, in argument order. */
  inputs: number[];
  /** Ids of the tensors this call produces. */
  outputs: number[];
}

export interface ModelGraph {
  steps: GraphStep[];
  inputIds: number[];
  outputIds: number[];
  /** Static shape of every tensor (batch dimension null). */
  shapes: Map<number, (number | null)[]>;
  /** How many steps read each tensor; model outputs count as one more reader. */
  readers: Map<number, number>;
}

interface NodeLike {
  inputTensors: SymbolicTensor[];
  outputTensors: SymbolicTensor[];
}

export function buildGraph(model: tf.LayersModel): ModelGraph {
  assertSupportedTopology(model.toJSON(null, false));
  const inputIds = model.inputs.map((t) => t.id);
  const outputIds = model.outputs.map((t) => t.id);
  const shapes = new Map<number, (number | null)[]>();
  const steps: GraphStep[] = [];
  const visited = new Set<string>();
  const onStack = new Set<string>();

  const visit = (tensor: SymbolicTensor): void => {
    shapes.set(tensor.id, tensor.shape);
    if (inputIds.includes(tensor.id)) return;
    const layer = tensor.sourceLayer as Layer;
    const node = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes[tensor.nodeIndex];
    if (node === undefined) throw modelInvalid(`tensor ${tensor.name} has no producing node`);
    const key = `${layer.name}#${tensor.nodeIndex}`;
    if (visited.has(key)) return;
    if (onStack.has(key)) throw modelInvalid(`the graph has a cycle through layer "${layer.name}"`);
    onStack.add(key);
    for (const input of node.inputTensors) visit(input);
    onStack.delete(key);
    visited.add(key);
    const className = layer.getClassName();
    if (!isSupportedClass(className)) throw unsupportedLayer(layer.name, className, 'no rule for this class');
    for (const output of node.outputTensors) shapes.set(output.id, output.shape);
    steps.push({
      layer,
      className,
      inputs: node.inputTensors.map((t) => t.id),
      outputs: node.outputTensors.map((t) => t.id),
    });
  };
  for (const output of model.outputs) visit(output);

  const calls = new Map<string, number>();
  for (const step of steps) {
    calls.set(step.layer.name, (calls.get(step.layer.name) ?? 0) + 1);
    if (isAffineClass(step.className) && (calls.get(step.layer.name) ?? 0) > 1) {
      throw unsupportedLayer(step.layer.name, step.className, 'an affine layer shared by several calls');
    }
  }
  const readers = new Map<number, number>();
  for (const step of steps) for (const id of step.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  for (const id of outputIds) readers.set(id, (readers.get(id) ?? 0) + 1);
  return { steps, inputIds, outputIds, shapes, readers };
}
