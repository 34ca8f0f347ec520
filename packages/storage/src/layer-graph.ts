/**
 * Checks the layer graph of every functional model in a Keras topology before tfjs builds it.
 * tfjs-layers builds a functional model by retrying the nodes whose inputs are not built yet until
 * none is left: an input from a layer that does not exist, a node index past the layer's nodes, or a
 * cycle make that loop spin forever, so such a graph must be refused here.
 */

/** What is wrong with the graph, or `undefined` when every functional model in it can be built. */
export function layerGraphProblem(modelTopology: unknown): string | undefined {
  // Iterative, so that a deeply nested topology cannot overflow the stack.
  const pending: unknown[] = [modelTopology];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    // One push per item: spreading a huge array into push() would overflow the stack.
    if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
      continue;
    }
    const object = value as Record<string, unknown>;
    const config = object.config as Record<string, unknown> | undefined;
    const functional = typeof object.class_name === 'string' && object.class_name !== 'Sequential';
    if (functional && Array.isArray(config?.layers)) {
      const problem = functionalGraphProblem(config.layers, config);
      if (problem !== undefined) return problem;
    }
    for (const item of Object.values(object)) pending.push(item);
  }
  return undefined;
}

interface LayerNodes {
  /** Per node of the layer, the nodes it takes input from, as `layer#node` ids. */
  inputs: string[][];
  /** Nodes the layer has once built: an input layer has one without inbound nodes. */
  count: number;
}

const nodeId = (layer: string, node: number) => `${layer}#${node}`;

function functionalGraphProblem(layers: unknown[], config: Record<string, unknown>): string | undefined {
  const byName = new Map<string, LayerNodes>();
  for (const [index, layer] of layers.entries()) {
    const name =
      (layer as { name?: unknown } | null)?.name ?? (layer as { config?: { name?: unknown } })?.config?.name;
    if (typeof name !== 'string') return `layer #${index} has no name`;
    if (byName.has(name)) return `two layers are named ${JSON.stringify(name)}`;
    const inbound = (layer as { inbound_nodes?: unknown }).inbound_nodes ?? [];
    if (!Array.isArray(inbound)) return `layer ${JSON.stringify(name)}: inbound_nodes is not a list`;
    const inputs: string[][] = [];
    for (const node of inbound) {
      if (!Array.isArray(node)) return `layer ${JSON.stringify(name)}: an inbound node is not a list`;
      const refs: string[] = [];
      for (const input of node) {
        if (!Array.isArray(input) || typeof input[0] !== 'string' || !Number.isSafeInteger(input[1]))
          return `layer ${JSON.stringify(name)}: an inbound node input is not [layer name, node index, tensor index]`;
        refs.push(nodeId(input[0], input[1] as number));
      }
      inputs.push(refs);
    }
    byName.set(name, { inputs, count: Math.max(1, inputs.length) });
  }

  // Each node needs its inputs' nodes, and the layer's previous node: tfjs creates a layer's nodes in order.
  const needs = new Map<string, string[]>();
  for (const [name, { inputs }] of byName) {
    for (const [node, refs] of inputs.entries()) {
      for (const ref of refs) {
        const [layer = '', index = '0'] = ref.split(/#(?=\d+$)/);
        const source = byName.get(layer);
        if (source === undefined)
          return `layer ${JSON.stringify(name)} takes its input from layer ${JSON.stringify(layer)}, which the model does not have`;
        if (Number(index) >= source.count)
          return `layer ${JSON.stringify(name)} takes its input from node ${index} of layer ${JSON.stringify(layer)}, which has ${source.count} node${source.count === 1 ? '' : 's'}`;
      }
      needs.set(nodeId(name, node), node > 0 ? [...refs, nodeId(name, node - 1)] : refs);
    }
  }
  // tfjs fails on these too, but with an empty message or "Cannot read properties of undefined".
  for (const key of ['input_layers', 'output_layers'] as const) {
    const ends = config[key] ?? [];
    if (!Array.isArray(ends)) return `${key} is not a list`;
    for (const end of ends) {
      if (!Array.isArray(end) || typeof end[0] !== 'string' || !Number.isSafeInteger(end[1]))
        return `${key} holds ${JSON.stringify(end)}, not [layer name, node index, tensor index]`;
      const source = byName.get(end[0]);
      if (source === undefined)
        return `${key} names layer ${JSON.stringify(end[0])}, which the model does not have`;
      if (end[1] >= source.count)
        return `${key} names node ${end[1]} of layer ${JSON.stringify(end[0])}, which has ${source.count} node${source.count === 1 ? '' : 's'}`;
    }
  }

  const cycle = findCycle(needs);
  return (
    cycle &&
    `the layers form a cycle: ${cycle.map((id) => JSON.stringify(id.replace(/#\d+$/, ''))).join(' → ')}`
  );
}

/** A cycle in the dependency graph as node ids (first = last), found by iterative depth-first search. */
function findCycle(needs: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const start of needs.keys()) {
    if (state.has(start)) continue;
    const path: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 'open');
    while (path.length > 0) {
      const top = path.at(-1)!;
      const edges = needs.get(top.id) ?? [];
      if (top.next >= edges.length) {
        state.set(top.id, 'done');
        path.pop();
        continue;
      }
      const next = edges[top.next++]!;
      const seen = state.get(next);
      if (seen === 'open') {
        const from = path.findIndex((step) => step.id === next);
        return [...path.slice(from).map((step) => step.id), next].reverse();
      }
      if (seen === undefined) {
        state.set(next, 'open');
        path.push({ id: next, next: 0 });
      }
    }
  }
  return undefined;
}
