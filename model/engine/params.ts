// Trainable parameters. Every buffer is allocated from the kernels' memory, so WASM kernels
// and worker threads reach them without copies. Construction never writes values: the
// trainer initialises once (initParams), so a worker thread that rebuilds the same graph
// over the same memory does not overwrite anything.

import type { Kernels } from './kernels/types.ts';
import type { Rng } from './rng.ts';

export type DenseInit = { kind: 'glorot'; fanIn: number; fanOut: number } | { kind: 'zeros' } | { kind: 'const'; value: number };

export class DenseParam {
  readonly size: number;
  readonly data: Float32Array;
  /** Adam moments. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly init: DenseInit,
    k: Kernels,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    this.data = k.alloc(this.size);
    this.m = k.alloc(this.size);
    this.v = k.alloc(this.size);
  }
}

/**
 * One embedding table [rows, dim] shared by every hashed field of a model (fields own row
 * ranges, see features/layout.ts). Row 0 is the padding row: zero and never updated.
 */
export class EmbeddingTable {
  readonly data: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(
    readonly name: string,
    readonly rows: number,
    readonly dim: number,
    readonly initStd: number,
    k: Kernels,
  ) {
    this.data = k.alloc(rows * dim);
    this.m = k.alloc(rows * dim);
    this.v = k.alloc(rows * dim);
  }
}

/** Every parameter of a graph: dense weights and embedding tables (see Graph.params()). */
export type Params = { dense: DenseParam[]; tables: EmbeddingTable[] };

/** Every parameter by name with its shape and values, dense first, in graph order. */
export function paramEntries(p: Params): { name: string; shape: number[]; data: Float32Array }[] {
  return [
    ...p.dense.map((d) => ({ name: d.name, shape: [...d.shape], data: d.data })),
    ...p.tables.map((t) => ({ name: t.name, shape: [t.rows, t.dim], data: t.data })),
  ];
}

/** Seeded initialisation of every parameter (Glorot-uniform weights, normal embeddings). */
export function initParams(params: Params, rng: Rng): void {
  for (const p of params.dense) {
    const init = p.init;
    if (init.kind === 'glorot') {
      const lim = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-lim, lim);
    } else {
      p.data.fill(init.kind === 'const' ? init.value : 0);
    }
    p.m.fill(0);
    p.v.fill(0);
  }
  for (const t of params.tables) {
    t.data.fill(0, 0, t.dim);
    for (let i = t.dim; i < t.data.length; i++) t.data[i] = rng.normal() * t.initStd;
    t.m.fill(0);
    t.v.fill(0);
  }
}
