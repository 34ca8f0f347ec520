/**
 * Seeded randomness. Every draw is keyed by the run's seed and a label (layer name, purpose), so a
 * layer's filters do not depend on how many numbers other layers drew, and a run repeats exactly.
 */
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** `n` standard normal values. */
  normals(n: number): Float32Array;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number, ...labels: (string | number)[]): Rng {
  const next = seedrandom.alea([seed, ...labels].join('\u0000'));
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - next();
    const v = next();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform: () => next(),
    normal,
    normals(n) {
      // Both halves of each Box–Muller pair, in one tight loop: kernels of tens of millions of weights.
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const radius = Math.sqrt(-2 * Math.log(1 - next()));
        const angle = 2 * Math.PI * next();
        out[i] = radius * Math.cos(angle);
        if (i + 1 < n) out[i + 1] = radius * Math.sin(angle);
      }
      return out;
    },
    int: (n) => Math.floor(next() * n),
  };
}
