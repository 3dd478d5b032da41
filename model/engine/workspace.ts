// Runs a graph forward and backward on one shard of a batch. Every buffer (inputs, labels,
// activations, gradients) is allocated once, for the largest shard, from kernel memory; a
// worker thread that rebuilds the same graph over the same memory replays these allocations.

import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { BackwardCtx, Graph } from './graph.ts';
import type { Kernels } from './kernels/types.ts';
import type { DenseParam, EmbeddingTable, Params } from './params.ts';
import { fmix32 } from '../features/hash.ts';
import { SparseGrad } from './sparse-grad.ts';
import { taskPassPlan, type TaskGradientKind, type TaskPassPlan } from './task-passes.ts';

/** Predictions are clipped here before the log-loss, as every metric does. */
export const PROB_EPS = 1e-7;

/** The training word of shard `shard` of a run with seed `seed` (Workspace's trainingSeed). */
export function trainingSeed(seed: number, shard: number): number {
  return fmix32((fmix32(seed >>> 0) + Math.imul(shard + 1, 0x27d4eb2f)) >>> 0);
}

export class Workspace implements BackwardCtx {
  n = 0;
  /** This pass's noise word: set by a training forward, null for prediction. */
  noise: number | null = null;
  readonly batch: EncodedBatch;
  /** [maxRows, tasks]; -1 = not labelled. */
  readonly labels: Float32Array;
  /** Per task: loss weight divided by the labelled rows of the WHOLE batch (set by the trainer). */
  readonly taskScale: Float32Array;
  /** Per task: this shard's summed, unweighted log-loss, plus its order penalties (written by backward). */
  readonly lossSum: Float32Array;
  /** graph.penalties with tasks as output indices. */
  private readonly penalties: { child: number; parent: number; weight: number }[];
  private readonly outs: Float32Array[];
  private readonly grads: Float32Array[];
  readonly denseGrads: Map<DenseParam, Float32Array>;
  readonly sparseGrads: Map<EmbeddingTable, SparseGrad>;
  private readonly ins: Float32Array[][];
  private readonly dIns: Float32Array[][];
  readonly params: Params;
  /** With per-task gradients: which parameters, through which nodes (null: the plain backward). */
  readonly plan: TaskPassPlan | null;
  /** Per plan parameter: this shard's gradient of each task's weighted loss, [tasks, size]. */
  readonly taskDense = new Map<DenseParam, Float32Array>();
  /**
   * Per plan table: each task's row gradients [tasks, capacity, dim] in the order of the
   * table's SparseGrad touched list (every pass keeps that order), and the rows each task filled.
   */
  readonly taskSparse = new Map<EmbeddingTable, { values: Float32Array; counts: Int32Array }>();

  constructor(
    readonly graph: Graph,
    readonly k: Kernels,
    layout: FeatureLayout,
    readonly maxRows: number,
    /** Also keep each task's gradient of the shared parameters (GradNorm, PCGrad). */
    taskGradients?: TaskGradientKind,
    /**
     * A training shard's word (from the run's seed and the shard's index; see trainingSeed):
     * its training passes draw their dropout masks from it and the step's number.
     */
    private readonly trainingSeed = 0,
  ) {
    const T = graph.outputs.length;
    this.batch = {
      n: maxRows,
      cat: k.allocInt(maxRows * layout.catWidth),
      multi: layout.multi.map((m) => k.allocInt(maxRows * m.maxLen)),
      num: k.alloc(maxRows * layout.numeric.length),
    };
    this.labels = k.alloc(maxRows * T);
    this.taskScale = k.alloc(T);
    this.lossSum = k.alloc(T);
    this.outs = graph.nodes.map((nd) => k.alloc(maxRows * nd.dim));
    this.grads = graph.nodes.map((nd) => k.alloc(maxRows * nd.dim));
    this.ins = graph.nodes.map((nd) => nd.inputs.map((i) => this.outs[i.id]));
    this.dIns = graph.nodes.map((nd) => nd.inputs.map((i) => this.grads[i.id]));
    this.params = graph.params();
    const index = (task: string) => {
      const i = graph.outputs.findIndex((o) => o.task === task);
      if (i < 0) throw new Error(`order penalty names task ${task}, which the graph does not output`);
      return i;
    };
    this.penalties = graph.penalties.map((p) => ({ child: index(p.child), parent: index(p.parent), weight: p.weight }));
    this.denseGrads = new Map(this.params.dense.map((p) => [p, k.alloc(p.size)]));
    const idsPerRow = layout.catWidth + layout.multi.reduce((a, m) => a + m.maxLen, 0);
    this.sparseGrads = new Map(this.params.tables.map((t) => [t, new SparseGrad(t.rows, t.dim, maxRows * idsPerRow, k)]));
    this.plan = taskGradients ? taskPassPlan(graph, taskGradients) : null;
    for (const p of this.plan?.dense ?? []) this.taskDense.set(p, k.alloc(T * p.size));
    for (const t of this.plan?.tables ?? []) this.taskSparse.set(t, { values: k.alloc(T * this.sparseGrads.get(t)!.touched.length * t.dim), counts: k.allocInt(T) });
  }

  denseGrad(p: DenseParam): Float32Array {
    return this.denseGrads.get(p)!;
  }

  sparseGrad(t: EmbeddingTable): SparseGrad {
    return this.sparseGrads.get(t)!;
  }

  /**
   * Forward pass over the first `n` rows of `batch`. A training pass (`step` >= 1, the
   * step's number, before its backward) applies dropout; any other (validation, prediction)
   * does not.
   */
  forward(n: number, step = 0): void {
    if (n > this.maxRows) throw new Error(`shard of ${n} rows exceeds workspace capacity ${this.maxRows}`);
    this.n = n;
    this.batch.n = n;
    this.noise = step > 0 ? fmix32((this.trainingSeed ^ fmix32(step)) >>> 0) : null;
    const nodes = this.graph.nodes;
    for (let i = 0; i < nodes.length; i++) nodes[i].op.forward(this, this.ins[i], this.outs[i]);
  }

  /** Probabilities of task t for the current rows (a view; valid until the next forward). */
  prob(t: number): Float32Array {
    return this.outs[this.graph.outputs[t].node.id].subarray(0, this.n);
  }

  /**
   * Backward pass of the weighted, masked binary cross-entropy:
   * L = sum_t taskScale[t] * sum_{labelled rows i} [bce(p_ti, y_ti) + sum of t's order penalties].
   * Parameter gradients land in denseGrads / sparseGrads (overwritten, not accumulated across calls).
   */
  backward(): void {
    if (this.plan) this.taskPasses(this.plan);
    if (this.plan && !this.plan.fullPass) return;
    const n = this.n;
    const nodes = this.graph.nodes;
    for (let i = 0; i < nodes.length; i++) this.grads[i].fill(0, 0, n * nodes[i].dim);
    for (const g of this.denseGrads.values()) g.fill(0);
    for (const g of this.sparseGrads.values()) g.reset();
    this.lossGradient();
    for (let i = nodes.length - 1; i >= 0; i--) nodes[i].op.backward(this, this.ins[i], this.outs[i], this.grads[i], this.dIns[i]);
  }

  /**
   * One backward pass per task through its plan nodes, each task's gradient of the plan's
   * parameters copied out after its pass. Every other parameter accumulates over the passes,
   * which (as each pass adds one task's loss) is its full gradient.
   */
  private taskPasses(plan: TaskPassPlan): void {
    const n = this.n;
    const nodes = this.graph.nodes;
    for (const g of this.denseGrads.values()) g.fill(0);
    for (const g of this.sparseGrads.values()) g.reset();
    for (let t = 0; t < this.graph.outputs.length; t++) {
      const pass = plan.nodes[t];
      for (const i of pass) this.grads[i].fill(0, 0, n * nodes[i].dim);
      for (const p of plan.dense) this.denseGrad(p).fill(0);
      for (const tb of plan.tables) this.sparseGrad(tb).zeroTouched();
      this.lossGradient(t);
      for (let j = pass.length - 1; j >= 0; j--) {
        const i = pass[j];
        nodes[i].op.backward(this, this.ins[i], this.outs[i], this.grads[i], this.dIns[i]);
      }
      for (const p of plan.dense) this.taskDense.get(p)!.set(this.denseGrad(p), t * p.size);
      for (const tb of plan.tables) {
        const g = this.sparseGrad(tb);
        const out = this.taskSparse.get(tb)!;
        const d = tb.dim;
        const base = t * g.touched.length * d;
        out.counts[t] = g.count;
        for (let r = 0; r < g.count; r++) {
          const src = g.touched[r] * d;
          for (let j = 0; j < d; j++) out.values[base + r * d + j] = g.grad[src + j];
        }
      }
    }
  }

  /** Loss gradients (and summed losses) of every task, or of task `only`. */
  private lossGradient(only?: number): void {
    const T = this.graph.outputs.length;
    for (let t = 0; t < T; t++) {
      if (only !== undefined && t !== only) continue;
      const id = this.graph.outputs[t].node.id;
      const p = this.outs[id];
      const dp = this.grads[id];
      const scale = this.taskScale[t];
      let loss = 0;
      for (let i = 0; i < this.n; i++) {
        const y = this.labels[i * T + t];
        if (y < 0) continue;
        const q = Math.min(Math.max(p[i], PROB_EPS), 1 - PROB_EPS);
        loss -= y > 0 ? Math.log(q) : Math.log(1 - q);
        // d bce / dp = (p - y) / (p (1 - p)); the sigmoid below multiplies by p (1 - p) again.
        dp[i] += (scale * (q - y)) / (q * (1 - q));
      }
      for (const pen of this.penalties) if (pen.child === t) loss += this.orderPenalty(pen, scale);
      this.lossSum[t] = loss;
    }
  }

  /** weight * max(p_child - p_parent, 0) over the child's labelled rows: adds its gradient, returns its sum. */
  private orderPenalty(pen: { child: number; parent: number; weight: number }, scale: number): number {
    const T = this.graph.outputs.length;
    const c = this.graph.outputs[pen.child].node.id;
    const p = this.graph.outputs[pen.parent].node.id;
    const pc = this.outs[c];
    const pp = this.outs[p];
    const g = scale * pen.weight;
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.labels[i * T + pen.child] < 0) continue;
      const d = pc[i] - pp[i];
      if (d <= 0) continue;
      sum += pen.weight * d;
      this.grads[c][i] += g;
      this.grads[p][i] -= g;
    }
    return sum;
  }
}
