/**
 * Which scale each tensor channel carries (ALGORITHM.md §3 undo rules). Every affine unit owns a
 * scale group; merges tie groups together (union–find), BatchNormalization absorbs them, and a
 * non-homogeneous consumer, an unselected consumer or (optionally) a model output fixes them at 1.
 */
import { type AffineUnit, layerActivation } from './affine.js';
import type { GraphStep, ModelGraph } from './graph.js';
import { isHomogeneousActivation, scaleRule } from './layer-rules.js';

/** Source id of a channel whose scale can never change (model input, after BN, after a blocking op). */
export const UNSCALED = -1;

export interface ScaleGraph {
  units: AffineUnit[];
  /** Group of each unit (a root id after `resolve`). */
  unitGroup: number[];
  /** Per unit, the group carried by each of its input channels (UNSCALED for none). */
  inputSources: Int32Array[];
  /** Group roots held at scale 1, with the reason. */
  fixed: Map<number, string>;
  /** BatchNormalization layers and the group carried by each of their input channels. */
  absorbers: { layer: GraphStep['layer']; sources: Int32Array }[];
  /** Units whose outputs reach a model output through scale-preserving layers. */
  outputUnits: Set<AffineUnit>;
}

class Groups {
  private parent: number[] = [];
  private reason = new Map<number, string>();

  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }

  find(g: number): number {
    while (this.parent[g] !== g) {
      this.parent[g] = this.parent[this.parent[g]!]!;
      g = this.parent[g]!;
    }
    return g;
  }

  union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return;
    this.parent[rb] = ra;
    const why = this.reason.get(ra) ?? this.reason.get(rb);
    if (why !== undefined) this.reason.set(ra, why);
  }

  fix(g: number, why: string): void {
    const root = this.find(g);
    if (!this.reason.has(root)) this.reason.set(root, why);
  }

  fixedRoots(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [g, why] of this.reason) {
      const root = this.find(g);
      if (!out.has(root)) out.set(root, why);
    }
    return out;
  }
}

export function buildScaleGraph(
  graph: ModelGraph,
  stepUnits: Map<GraphStep, AffineUnit[]>,
  selected: Set<AffineUnit>,
  options: { fixOutputs: boolean },
): ScaleGraph {
  const groups = new Groups();
  const units: AffineUnit[] = [];
  const unitGroup: number[] = [];
  const inputSources: Int32Array[] = [];
  const absorbers: ScaleGraph['absorbers'] = [];
  const sources = new Map<number, Int32Array>();
  const channelsOf = (id: number) => graph.shapes.get(id)!.at(-1) ?? 1;
  sources.set(graph.inputIds[0]!, new Int32Array(channelsOf(graph.inputIds[0]!)).fill(UNSCALED));

  const fixAll = (channels: Int32Array, why: string) => {
    for (const g of channels) if (g !== UNSCALED) groups.fix(g, why);
  };
  /** Ties the given channels to one scale; returns that scale's source id. */
  const tie = (channels: Iterable<number>, why: string): number => {
    const members = [...new Set(channels)];
    const scaled = members.filter((g) => g !== UNSCALED);
    if (scaled.length === 0) return UNSCALED;
    for (const g of scaled.slice(1)) groups.union(scaled[0]!, g);
    if (scaled.length < members.length) {
      groups.fix(scaled[0]!, why);
      return UNSCALED;
    }
    return scaled[0]!;
  };

  for (const step of graph.steps) {
    const inputs = step.inputs.map((id) => sources.get(id)!);
    const name = `${step.layer.name} (${step.className})`;
    let outputs: Int32Array[];
    const layerUnits = stepUnits.get(step);
    if (layerUnits) {
      let x = inputs[0]!;
      for (const unit of layerUnits) {
        const group = groups.add();
        units.push(unit);
        unitGroup.push(group);
        inputSources.push(x);
        if (!selected.has(unit)) {
          groups.fix(group, 'not selected for initialization');
          fixAll(x, `feeds ${unit.name}, which this run leaves unchanged`);
        }
        x = new Int32Array(unit.outChannels).fill(group);
      }
      const activation = layerActivation(step.layer).getClassName();
      if (!isHomogeneousActivation(activation)) {
        fixAll(x, `its activation ${activation} is not positively homogeneous`);
        x = new Int32Array(x.length).fill(UNSCALED);
      }
      outputs = [x];
    } else if (step.className === 'InputLayer') {
      outputs = inputs;
    } else {
      const rule = scaleRule(step.className, step.layer.getConfig() as Record<string, unknown>);
      const outChannels = step.outputs.map(channelsOf);
      const first = inputs[0]!;
      switch (rule) {
        case 'channelwise':
          outputs = outChannels.map((c) =>
            c === first.length ? first : new Int32Array(c).fill(tie(first, `reshaped by ${name}`)),
          );
          break;
        case 'flatten':
          outputs = [Int32Array.from({ length: outChannels[0]! }, (_, f) => first[f % first.length]!)];
          break;
        case 'layout':
          outputs = outChannels.map((c) =>
            new Int32Array(c).fill(tie(first, `mixed with unscaled channels by ${name}`)),
          );
          break;
        case 'concat': {
          const joined = new Int32Array(inputs.reduce((n, s) => n + s.length, 0));
          let offset = 0;
          for (const s of inputs) {
            joined.set(s, offset);
            offset += s.length;
          }
          outputs = [joined];
          break;
        }
        case 'merge':
          outputs = [
            Int32Array.from({ length: outChannels[0]! }, (_, c) =>
              tie(
                inputs.map((s) => s[c % s.length]!),
                `merged by ${name} with an unscaled tensor`,
              ),
            ),
          ];
          break;
        case 'absorb':
          absorbers.push({ layer: step.layer, sources: first });
          outputs = [new Int32Array(outChannels[0]!).fill(UNSCALED)];
          break;
        case 'block':
          for (const s of inputs) fixAll(s, `feeds ${name}, which is not positively homogeneous`);
          outputs = outChannels.map((c) => new Int32Array(c).fill(UNSCALED));
          break;
      }
    }
    step.outputs.forEach((id, i) => {
      sources.set(id, outputs[i]!);
    });
  }

  const reachingOutputs = new Set<number>();
  for (const id of graph.outputIds) {
    for (const g of sources.get(id)!) {
      if (g === UNSCALED) continue;
      reachingOutputs.add(g);
      if (options.fixOutputs) groups.fix(g, 'reaches a model output (its scale is kept)');
    }
  }
  const outputRoots = new Set([...reachingOutputs].map((g) => groups.find(g)));
  const resolve = (g: number) => (g === UNSCALED ? UNSCALED : groups.find(g));
  return {
    units,
    unitGroup: unitGroup.map(resolve),
    inputSources: inputSources.map((s) => s.map(resolve)),
    fixed: groups.fixedRoots(),
    absorbers: absorbers.map((a) => ({ layer: a.layer, sources: a.sources.map(resolve) })),
    outputUnits: new Set(units.filter((_, i) => outputRoots.has(groups.find(unitGroup[i]!)))),
  };
}
