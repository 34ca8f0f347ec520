/**
 * Closed-form between-layer scales (ALGORITHM.md §3). With every scale undone downstream and the
 * outputs' scale held fixed, rescaling group g by r_g = e^{ρ_g} changes unit u's change rate exactly:
 *   C_u'² = Σ_s e^{2(ρ_s − ρ_u)} G_{u,s} / Σ_s e^{2(ρ_u − ρ_s)} W_{u,s}
 * where s runs over the groups feeding u's input slices, G and W are the measured squared gradient
 * and weight norms of those slices. For a chain this is log C_u' = log C_u + 2ρ_{u−1} − 2ρ_u, solved
 * in one step; merges, concatenations and fixed groups make it mildly nonlinear, so a damped
 * Gauss–Newton solve drives every log C_u' to one common value λ.
 */
import { Matrix, solve } from 'ml-matrix';
import type { RateMeasurement } from './change-rate.js';
import { type ScaleGraph, UNSCALED } from './scale-graph.js';

interface UnitTerms {
  group: number;
  /** Input slices grouped by source: [source, Σ gradient², Σ weight²] at reference scale. */
  slices: [number, number, number][];
}

/** A change-rate measurement and the cumulative log scales of the weights it was taken on. */
export interface PooledMeasurement {
  measurement: RateMeasurement;
  logScale: Map<number, number>;
}

/**
 * Unit i's slice norms pooled over measurements, each first mapped back to the reference weights
 * (all ρ = 0) with the exact scaling law above, so every pass sharpens one estimate.
 */
function unitTerms(scales: ScaleGraph, pool: PooledMeasurement[], unitIndex: number): UnitTerms {
  const bySource = new Map<number, [number, number]>();
  const sources = scales.inputSources[unitIndex]!;
  const group = scales.unitGroup[unitIndex]!;
  for (const { measurement, logScale } of pool) {
    const rho = (g: number) => (g === UNSCALED ? 0 : (logScale.get(g) ?? 0));
    const g = measurement.gradientSq[unitIndex]!;
    const w = measurement.weightSq[unitIndex]!;
    for (let c = 0; c < sources.length; c++) {
      const s = sources[c]!;
      const shift = Math.exp(2 * (rho(s) - rho(group)));
      const entry = bySource.get(s) ?? [0, 0];
      entry[0] += g[c]! / shift;
      entry[1] += w[c]! * shift;
      bySource.set(s, entry);
    }
  }
  return { group, slices: [...bySource].map(([s, [gs, ws]]) => [s, gs, ws]) };
}

/**
 * Log-scales ρ per group root, relative to the reference weights (0 for fixed groups), that
 * equalize the change rates of the `participating` units.
 */
export function solveScales(
  scales: ScaleGraph,
  pool: PooledMeasurement[],
  participating: number[],
): Map<number, number> {
  const terms = participating.map((i) => unitTerms(scales, pool, i));
  const free = new Map<number, number>(); // group root → variable index
  for (const t of terms) {
    for (const g of [t.group, ...t.slices.map((s) => s[0])]) {
      if (g !== UNSCALED && !scales.fixed.has(g) && !free.has(g)) free.set(g, free.size);
    }
  }
  const nVars = free.size + 1; // + λ
  const x = new Float64Array(nVars);
  const lambdaIndex = free.size;
  const rho = (g: number) => (g === UNSCALED || !free.has(g) ? 0 : x[free.get(g)!]!);

  const evaluate = (point: Float64Array) => {
    x.set(point);
    const residuals = new Float64Array(terms.length);
    const jacobian = terms.map(() => new Float64Array(nVars));
    terms.forEach((t, row) => {
      const own = rho(t.group);
      let a = 0;
      let b = 0;
      const aTerms: number[] = [];
      const bTerms: number[] = [];
      for (const [s, gs, ws] of t.slices) {
        const ta = Math.exp(2 * (rho(s) - own)) * gs;
        const tb = Math.exp(2 * (own - rho(s))) * ws;
        aTerms.push(ta);
        bTerms.push(tb);
        a += ta;
        b += tb;
      }
      residuals[row] = 0.5 * (Math.log(a) - Math.log(b)) - x[lambdaIndex]!;
      const j = jacobian[row]!;
      t.slices.forEach(([s], k) => {
        // d/dρ_s of ½(log A − log B): A grows with ρ_s, B shrinks; the own group gets the opposite.
        const d = aTerms[k]! / a + bTerms[k]! / b;
        if (free.has(s)) j[free.get(s)!]! += d;
        if (free.has(t.group)) j[free.get(t.group)!]! -= d;
      });
      j[lambdaIndex] = -1;
    });
    return { residuals, jacobian };
  };

  const cost = (r: Float64Array) => r.reduce((s, v) => s + v * v, 0);
  let point = new Float64Array(nVars);
  // Start λ at the mean log rate so the first step is small.
  point[lambdaIndex] = terms.length ? evaluate(point).residuals.reduce((s, v) => s + v, 0) / terms.length : 0;
  let current = evaluate(point);
  let damping = 1e-6;
  for (let iteration = 0; iteration < 100 && terms.length > 0; iteration++) {
    const J = new Matrix(current.jacobian.map((row) => Array.from(row)));
    const JT = J.transpose();
    const normal = JT.mmul(J);
    for (let i = 0; i < nVars; i++) normal.set(i, i, normal.get(i, i) * (1 + damping) + 1e-9);
    const gradient = JT.mmul(Matrix.columnVector(Array.from(current.residuals)));
    const step = solve(normal, gradient.mul(-1)).getColumn(0);
    const candidate = point.map((v, i) => v + step[i]!);
    const next = evaluate(candidate);
    if (cost(next.residuals) <= cost(current.residuals)) {
      const converged = Math.max(...step.map(Math.abs)) < 1e-10;
      point = candidate;
      current = next;
      damping = Math.max(damping / 10, 1e-12);
      if (converged) break;
    } else {
      damping *= 10;
      x.set(point);
      if (damping > 1e6) break;
    }
  }
  x.set(point);
  const result = new Map<number, number>();
  for (const [g, index] of free) result.set(g, point[index]!);
  return result;
}

/** Change rates predicted for the weights at `logScale`, from every pooled measurement. */
export function predictRates(
  scales: ScaleGraph,
  pool: PooledMeasurement[],
  logScale: Map<number, number>,
): Float64Array {
  const rho = (g: number) => (g === UNSCALED ? 0 : (logScale.get(g) ?? 0));
  return Float64Array.from(scales.units, (_, i) => {
    const { group, slices } = unitTerms(scales, pool, i);
    let a = 0;
    let b = 0;
    for (const [s, gs, ws] of slices) {
      a += Math.exp(2 * (rho(s) - rho(group))) * gs;
      b += Math.exp(2 * (rho(group) - rho(s))) * ws;
    }
    return Math.sqrt(a / b);
  });
}
