import seedrandom from 'seedrandom';
import { sampleRequestInvalid, sampleTooSmall } from './errors.js';

/** How many samples to draw, and the seed that makes the draw repeatable. */
export interface SampleRequest {
  /** Samples in the initialization set; fewer are used when the dataset is smaller (but at least 2). */
  count: number;
  /** Further samples held out to check how statistics generalize; 0 for none. */
  heldOut: number;
  /** Same seed and same dataset listing give the same samples in the same order. */
  seed: number;
}

/** The items of one draw: `init` first, then `heldOut`, disjoint. */
export interface Draw<T> {
  init: T[];
  heldOut: T[];
}

export function checkSampleRequest(request: SampleRequest): void {
  const { count, heldOut, seed } = request;
  if (!Number.isSafeInteger(count) || count < 1)
    throw sampleRequestInvalid(`count must be a positive integer, got ${count}`);
  if (!Number.isSafeInteger(heldOut) || heldOut < 0)
    throw sampleRequestInvalid(`heldOut must be a non-negative integer, got ${heldOut}`);
  if (!Number.isSafeInteger(seed)) throw sampleRequestInvalid(`seed must be an integer, got ${seed}`);
}

/**
 * Draws `count` items for initialization and up to `heldOut` more, uniformly without replacement.
 * A partial Fisher–Yates shuffle from the front: the first k items depend only on the seed and the population
 * size, so a larger `count` with the same seed extends a smaller draw instead of replacing it.
 * `source` names the dataset in errors.
 */
export function drawSample<T>(population: readonly T[], request: SampleRequest, source: string): Draw<T> {
  const available = population.length;
  const initCount = Math.min(request.count, available);
  // Statistics such as a variance need two samples; fewer is a data problem, not a request to shrink.
  if (initCount < 2) throw sampleTooSmall(source, initCount);
  const heldOutCount = Math.min(request.heldOut, available - initCount);
  const drawn = initCount + heldOutCount;

  const random = seedrandom.alea(String(request.seed));
  const items = population.slice();
  for (let i = 0; i < drawn; i++) {
    const j = i + Math.floor(random() * (available - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return { init: items.slice(0, initCount), heldOut: items.slice(initCount, drawn) };
}

/** The drawn samples as normalized float32 values, one sample after another, with what each one is. */
export interface SampleData {
  init: Float32Array;
  heldOut: Float32Array;
  items: Draw<string>;
}
