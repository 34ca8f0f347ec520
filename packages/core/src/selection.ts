/** Which affine units a run may change (option `layers`, ALGORITHM.md §0). */

import type { LayerSelection } from '@ddinit/contracts';
import { defineError } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import type { AffineUnit } from './affine.js';

export const badLayerPattern = defineError(
  'options_invalid',
  (pattern: string, why: string) => `layers: ${JSON.stringify(pattern)} is not a valid pattern: ${why}`,
);
export const unknownLayer = defineError(
  'options_invalid',
  (name: string) => `layers: the model has no affine layer named ${JSON.stringify(name)}`,
);

function matcher(pattern: string): (name: string) => boolean {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (!regex) return (name) => name === pattern;
  try {
    const compiled = new RegExp(regex[1]!, regex[2]);
    return (name) => compiled.test(name);
  } catch (error) {
    throw badLayerPattern(pattern, (error as Error).message);
  }
}

/**
 * The selected units. A plain name must name an affine layer (a typo should not silently select
 * nothing); `/regex/` patterns may match none. Without weights every kernel counts as all zeros.
 */
export function selectUnits(
  units: AffineUnit[],
  selection: LayerSelection,
  hasWeights: boolean,
): Set<AffineUnit> {
  const layerNames = new Set(units.flatMap((u) => [u.layer.name, u.name]));
  for (const pattern of [...(selection.include ?? []), ...(selection.exclude ?? [])]) {
    if (!pattern.startsWith('/') && !layerNames.has(pattern)) throw unknownLayer(pattern);
  }
  const includes = (selection.include ?? []).map(matcher);
  const excludes = (selection.exclude ?? []).map(matcher);
  const matches = (unit: AffineUnit, tests: ((name: string) => boolean)[]) =>
    tests.some((test) => test(unit.layer.name) || test(unit.name));
  return new Set(
    units.filter((unit) => {
      if (includes.length > 0 && !matches(unit, includes)) return false;
      if (matches(unit, excludes)) return false;
      if (selection.onlyZeroKernels && hasWeights) return isAllZero(unit.kernel.read());
      return true;
    }),
  );
}

function isAllZero(kernel: tf.Tensor): boolean {
  return tf.tidy(() => tf.max(tf.abs(kernel)).dataSync()[0] === 0);
}
