// The vocabulary architectures are written in: each call adds layers to one Graph. An
// architecture file only says how blocks connect; parameters, shapes and ONNX come from here.

import { Graph, type GraphNode } from '../engine/graph.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { Concat } from '../engine/ops/concat.ts';
import { Dense, type Activation } from '../engine/ops/dense.ts';
import { Dropout } from '../engine/ops/dropout.ts';
import { Multiply, Sigmoid } from '../engine/ops/elementwise.ts';
import { EmbedFields } from '../engine/ops/embed.ts';
import { DotInteraction } from '../engine/ops/interaction.ts';
import { MixExperts } from '../engine/ops/mix.ts';
import { NumericInput } from '../engine/ops/numeric.ts';
import { RowDot } from '../engine/ops/row-dot.ts';
import { MeanPool } from '../engine/ops/pool.ts';
import { Softmax } from '../engine/ops/softmax.ts';
import { DenseParam, EmbeddingTable } from '../engine/params.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { TaskSpec } from '../features/spec.ts';

/** Sizes shared by every architecture; each architecture reads the ones it uses. */
export interface ArchConfig {
  embeddingDim: number;
  /** Hidden widths of an expert / the shared bottom / a single-task MLP. */
  expertDims: number[];
  /** Hidden widths of each task tower, before its 1-unit output. */
  towerDims: number[];
  /** MMoE: experts. PLE: shared experts per level. */
  experts: number;
  /** PLE: task-specific experts per task and level. */
  taskExperts: number;
  /** PLE: CGC levels. */
  levels: number;
  /** Add the pairwise dot products of the field embeddings to the input (FM / DLRM style). */
  interactions: boolean;
  /** AITM: weight of the behavioural expectation calibrator, the penalty on p(child) > p(parent). */
  aitmCalibration: number;
  /** Dropout rate after every hidden ReLU layer (experts, bottoms, towers) while training; 0 = none. */
  dropout: number;
}

export const DEFAULT_ARCH_CONFIG: ArchConfig = {
  embeddingDim: 16,
  expertDims: [64, 32],
  towerDims: [16],
  experts: 4,
  taskExperts: 1,
  levels: 2,
  interactions: true,
  // The value of the AITM paper's experiments (alpha = 0.6).
  aitmCalibration: 0.6,
  dropout: 0,
};

export class NetBuilder {
  readonly graph = new Graph();
  private names = new Set<string>();
  private dropouts = 0;

  constructor(
    readonly k: Kernels,
    readonly layout: FeatureLayout,
    readonly tasks: readonly TaskSpec[],
    readonly cfg: ArchConfig,
  ) {}

  private unique(name: string): string {
    if (this.names.has(name)) throw new Error(`parameter name ${name} used twice`);
    this.names.add(name);
    return name;
  }

  /** An embedding table covering every hashed field of the layout. */
  table(name: string, dim = this.cfg.embeddingDim): EmbeddingTable {
    return new EmbeddingTable(this.unique(name), this.layout.tableRows, dim, dim === 1 ? 0 : 0.05, this.k);
  }

  /**
   * Every feature as one [n, width] row: categorical and numeric-bin embeddings, pooled
   * multi-valued ones, (with cfg.interactions) their pairwise dot products, then the
   * standardised numerics.
   */
  features(table: EmbeddingTable): GraphNode {
    const L = this.layout;
    const vectors: GraphNode[] = [];
    if (L.catWidth) vectors.push(this.graph.add(new EmbedFields(table, L.catWidth), [], L.catWidth * table.dim));
    L.multi.forEach((m, i) => vectors.push(this.graph.add(new MeanPool(table, i, m.maxLen), [], table.dim)));
    const parts = [...vectors];
    const fields = L.catWidth + L.multi.length;
    if (this.cfg.interactions && table.dim > 1 && fields > 1) {
      const op = new DotInteraction(fields, table.dim);
      parts.push(this.graph.add(op, [this.concat(vectors)], op.pairs));
    }
    if (L.numeric.length) parts.push(this.graph.add(new NumericInput(L.numeric.length), [], L.numeric.length));
    return this.concat(parts);
  }

  concat(parts: GraphNode[]): GraphNode {
    if (parts.length === 1) return parts[0];
    const widths = parts.map((p) => p.dim);
    return this.graph.add(new Concat(widths), parts, widths.reduce((a, b) => a + b, 0));
  }

  dense(x: GraphNode, out: number, act: Activation, name: string): GraphNode {
    const w = new DenseParam(this.unique(`${name}.w`), [x.dim, out], { kind: 'glorot', fanIn: x.dim, fanOut: out }, this.k);
    const b = new DenseParam(this.unique(`${name}.b`), [out], { kind: 'zeros' }, this.k);
    return this.graph.add(new Dense(w, b, x.dim, out, act), [x], out);
  }

  /** ReLU layers of the given widths, each followed by cfg.dropout's dropout. */
  mlp(x: GraphNode, dims: readonly number[], name: string): GraphNode {
    dims.forEach((d, i) => (x = this.dropout(this.dense(x, d, 'relu', `${name}.${i}`))));
    return x;
  }

  dropout(x: GraphNode): GraphNode {
    const rate = this.cfg.dropout ?? 0;
    return rate > 0 ? this.graph.add(new Dropout(x.dim, rate, this.dropouts++), [x], x.dim) : x;
  }

  /** Softmax gate over `k` choices, computed from `x`. */
  gate(x: GraphNode, k: number, name: string): GraphNode {
    return this.graph.add(new Softmax(k), [this.dense(x, k, 'linear', name)], k);
  }

  mix(gate: GraphNode, experts: GraphNode[]): GraphNode {
    const d = experts[0].dim;
    return this.graph.add(new MixExperts(experts.length, d), [gate, ...experts], d);
  }

  /** A task tower ending in a logit, turned into a probability. */
  tower(x: GraphNode, name: string): GraphNode {
    const logit = this.dense(this.mlp(x, this.cfg.towerDims, name), 1, 'linear', `${name}.out`);
    return this.sigmoid(logit);
  }

  /**
   * Self-attention pooling of same-width inputs (AITM's information transfer): each input u
   * is projected to a query, a key and a value (one set of projections for all inputs);
   * softmax over the inputs of query . key / sqrt(d) weighs the values.
   */
  attend(inputs: GraphNode[], name: string): GraphNode {
    const d = inputs[0].dim;
    const proj = (role: string) => {
      const w = new DenseParam(this.unique(`${name}.${role}.w`), [d, d], { kind: 'glorot', fanIn: d, fanOut: d }, this.k);
      const bias = new DenseParam(this.unique(`${name}.${role}.b`), [d], { kind: 'zeros' }, this.k);
      return inputs.map((u) => this.graph.add(new Dense(w, bias, d, d, 'linear'), [u], d));
    };
    const [q, key, v] = [proj('query'), proj('key'), proj('value')];
    const scores = this.concat(inputs.map((_, i) => this.graph.add(new RowDot(d, 1 / Math.sqrt(d)), [q[i], key[i]], 1)));
    return this.mix(this.graph.add(new Softmax(inputs.length), [scores], inputs.length), v);
  }

  sigmoid(x: GraphNode): GraphNode {
    return this.graph.add(new Sigmoid(x.dim), [x], x.dim);
  }

  multiply(a: GraphNode, b: GraphNode): GraphNode {
    return this.graph.add(new Multiply(a.dim), [a, b], a.dim);
  }

  output(task: string, prob: GraphNode): void {
    this.graph.output(task, prob);
  }
}
