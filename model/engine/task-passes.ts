// Per-task gradients for the task-balancing methods (GradNorm, PCGrad). The graph's backward
// computes the gradient of the summed loss; these methods need each task's own gradient of
// the parameters the tasks share. A plan says which parameters those are and which nodes a
// task's own backward pass has to visit (the ancestors of its output, and of the outputs its
// order penalties read), so a pass skips every other task's tower.

import type { Graph, GraphNode } from './graph.ts';
import type { DenseParam, EmbeddingTable } from './params.ts';

/**
 * 'shared': every parameter two or more tasks reach (PCGrad); the passes together replace
 * the full backward. 'last-shared': only the last layer of the trunk the most tasks share
 * (GradNorm's W), then the usual full backward; its passes only run from the outputs down
 * to that layer.
 */
export type TaskGradientKind = 'shared' | 'last-shared';

export interface TaskPassPlan {
  kind: TaskGradientKind;
  dense: DenseParam[];
  tables: EmbeddingTable[];
  /** Per task: the node ids its pass runs backward through, ascending. */
  nodes: number[][];
  /** Run the full backward of the summed loss after the per-task passes. */
  fullPass: boolean;
}

/** The plan, or null when the tasks share no parameter (nothing to balance or project). */
export function taskPassPlan(graph: Graph, kind: TaskGradientKind): TaskPassPlan | null {
  const N = graph.nodes.length;
  const T = graph.outputs.length;
  // Ancestors (and self) of nodes; a task's pass visits those of its loss (its output, and
  // the outputs its order penalties read), while which parameters count as shared is read
  // from the outputs alone: a penalty adds a loss term, not a layer the tasks share.
  const ancestors = (roots: GraphNode[]) => {
    const seen = new Uint8Array(N);
    const stack = roots.map((r) => r.id);
    while (stack.length) {
      const id = stack.pop()!;
      if (seen[id]) continue;
      seen[id] = 1;
      for (const i of graph.nodes[id].inputs) stack.push(i.id);
    }
    return seen;
  };
  const reach = graph.outputs.map((o) => ancestors([o.node, ...graph.penalties.filter((p) => p.child === o.task).map((p) => graph.outputs.find((q) => q.task === p.parent)!.node)]));
  const reachOut = graph.outputs.map((o) => ancestors([o.node]));
  const users = (p: DenseParam | EmbeddingTable) => graph.nodes.filter((n) => (n.op.dense as readonly object[]).includes(p) || (n.op.tables as readonly object[]).includes(p));
  const tasksOf = (p: DenseParam | EmbeddingTable) => {
    let c = 0;
    for (let t = 0; t < T; t++) if (users(p).some((n) => reachOut[t][n.id])) c++;
    return c;
  };
  const all = graph.params();
  const count = new Map([...all.dense, ...all.tables].map((p) => [p, tasksOf(p)] as const));
  let dense = all.dense.filter((p) => count.get(p)! > 1);
  let tables = all.tables.filter((p) => count.get(p)! > 1);
  if (!dense.length && !tables.length) return null;
  if (kind === 'shared') return { kind, dense, tables, nodes: reach.map(ids), fullPass: false };

  // The last shared layer: among the parameters shared by the most tasks (a trunk they all
  // pass through, when there is one), the weight matrices that feed no other such matrix;
  // the embedding tables when no dense layer is that widely shared.
  const widest = Math.max(...count.values());
  const below = descendants(graph);
  const nodesOf = (ps: (DenseParam | EmbeddingTable)[]) => ps.flatMap(users).map((n) => n.id);
  const trunk = new Set(all.dense.filter((p) => count.get(p) === widest && p.shape.length === 2));
  const feedsTrunk = (p: DenseParam) => nodesOf([p]).some((id) => graph.nodes.some((n, j) => below[id][j] && n.op.dense.some((q) => q !== p && trunk.has(q))));
  dense = [...trunk].filter((p) => !feedsTrunk(p));
  tables = dense.length ? [] : all.tables.filter((p) => count.get(p) === widest);
  const last = nodesOf([...dense, ...tables]);
  const between = new Uint8Array(N);
  for (const id of last) for (let j = 0; j < N; j++) if (below[id][j] || j === id) between[j] = 1;
  return { kind, dense, tables, nodes: reach.map((r) => ids(r.map((x, j) => x & between[j]) as Uint8Array)), fullPass: true };
}

/** below[i][j] = 1 when node j reads (transitively) node i. */
function descendants(graph: Graph): Uint8Array[] {
  const N = graph.nodes.length;
  const below = graph.nodes.map(() => new Uint8Array(N));
  // Nodes are in topological order: walk them backwards, each inherits its readers' sets.
  const readers: number[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) for (const i of n.inputs) readers[i.id].push(n.id);
  for (let i = N - 1; i >= 0; i--) {
    for (const r of readers[i]) {
      below[i][r] = 1;
      for (let j = 0; j < N; j++) below[i][j] |= below[r][j];
    }
  }
  return below;
}

function ids(mask: Uint8Array): number[] {
  const out: number[] = [];
  mask.forEach((x, i) => x && out.push(i));
  return out;
}
