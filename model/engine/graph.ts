// A static computation graph: built once per architecture, then run forward, backward
// (training) and walked to emit ONNX (export). Nodes are in topological order by construction.

import type { EncodedBatch } from '../features/encode.ts';
import type { OnnxEmitter } from './onnx-emitter.ts';
import type { Kernels } from './kernels/types.ts';
import type { DenseParam, EmbeddingTable, Params } from './params.ts';
import type { SparseGrad } from './sparse-grad.ts';

export interface ForwardCtx {
  readonly k: Kernels;
  /** Rows in this (shard of the) batch. */
  readonly n: number;
  readonly batch: EncodedBatch;
  /** A training pass's noise word (dropout masks), different per run seed, shard and step; null when predicting. */
  readonly noise: number | null;
}

export interface BackwardCtx extends ForwardCtx {
  /** This shard's gradient buffer of a dense parameter (accumulate into it). */
  denseGrad(p: DenseParam): Float32Array;
  sparseGrad(t: EmbeddingTable): SparseGrad;
}

export interface Op {
  readonly type: string;
  readonly dense: readonly DenseParam[];
  readonly tables: readonly EmbeddingTable[];
  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void;
  /**
   * Given dOut (which the op may overwrite), ADD the input gradients into dIns and the
   * parameter gradients into ctx's buffers.
   */
  backward(ctx: BackwardCtx, ins: Float32Array[], out: Float32Array, dOut: Float32Array, dIns: Float32Array[]): void;
  /** Emits the ONNX nodes computing this op from its inputs; returns the output name. */
  onnx(e: OnnxEmitter, ins: string[]): string;
}

export interface GraphNode {
  readonly id: number;
  readonly op: Op;
  readonly inputs: readonly GraphNode[];
  /** Width of the output: the node computes an [n, dim] matrix. */
  readonly dim: number;
}

export interface TaskOutput {
  task: string;
  /** Node whose [n, 1] output is the task's probability. */
  node: GraphNode;
}

/**
 * A loss term across tasks: weight * max(p(child) - p(parent), 0) on every row where the
 * child is labelled (AITM's behavioural expectation calibrator: a later funnel step is never
 * more likely than the one before it). It counts as part of the child task's loss.
 */
export interface OrderPenalty {
  child: string;
  parent: string;
  weight: number;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly outputs: TaskOutput[] = [];
  readonly penalties: OrderPenalty[] = [];

  add(op: Op, inputs: GraphNode[], dim: number): GraphNode {
    const node: GraphNode = { id: this.nodes.length, op, inputs, dim };
    this.nodes.push(node);
    return node;
  }

  output(task: string, node: GraphNode): void {
    if (node.dim !== 1) throw new Error(`task ${task}: output must have width 1, got ${node.dim}`);
    this.outputs.push({ task, node });
  }

  calibrate(child: string, parent: string, weight: number): void {
    if (!(weight >= 0)) throw new Error(`calibration weight of ${child} must be >= 0, got ${weight}`);
    if (weight > 0) this.penalties.push({ child, parent, weight });
  }

  /** Every distinct parameter, in a stable order (the order of first use). */
  params(): Params {
    const dense = new Set<DenseParam>();
    const tables = new Set<EmbeddingTable>();
    for (const n of this.nodes) {
      for (const p of n.op.dense) dense.add(p);
      for (const t of n.op.tables) tables.add(t);
    }
    return { dense: [...dense], tables: [...tables] };
  }
}
