/**
 * Counts the parameters a model creates while tfjs builds it, and stops the build before a weight
 * would take the count over a limit. tfjs allocates (and initializes) every weight while it builds a
 * model, weights or no weights, so a topology declaring a 10^12-element kernel must be stopped at
 * that weight's creation: `Layer.addWeight` is the one place every layer creates its weights through,
 * and it knows the shape before the initializer allocates anything.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as tf from '@tensorflow/tfjs';
import { elementCount } from './weight-specs.js';

export interface ParameterBudget {
  limit: number;
  /** Parameters created so far. */
  used: number;
  /** The error for `weight` of `layer`, which would take `used` to `total`, over `limit`. */
  exceeded: (layer: tf.layers.Layer, weight: string, shape: number[], total: number) => Error;
}

const budgets = new AsyncLocalStorage<ParameterBudget>();

/** `Layer.addWeight`, which tfjs declares protected. */
type AddWeight = (this: tf.layers.Layer, name: string, shape: number[], ...rest: unknown[]) => unknown;
let installed = false;

/** Wraps `Layer.prototype.addWeight` once; outside `withParameterBudget` it only forwards the call. */
function install(): void {
  if (installed) return;
  installed = true;
  const prototype = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const addWeight = prototype.addWeight;
  prototype.addWeight = function (name, shape, ...rest) {
    const budget = budgets.getStore();
    if (budget !== undefined) {
      const total = budget.used + elementCount(shape);
      if (!(total <= budget.limit)) throw budget.exceeded(this, name, shape, total);
      budget.used = total;
    }
    return addWeight.call(this, name, shape, ...rest);
  };
}

/** Runs `build` with every weight it creates counted against `budget`. */
export function withParameterBudget<T>(budget: ParameterBudget, build: () => Promise<T>): Promise<T> {
  install();
  return budgets.run(budget, build);
}
