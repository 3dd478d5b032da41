// Mean of the embeddings of a multi-valued field's real values: [n, dim]. Padded slots point
// at the all-zero padding row, so they add nothing to the sum and are left out of the count.

import { PADDING_ROW } from '../../features/layout.ts';
import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';
import type { EmbeddingTable } from '../params.ts';

export class MeanPool implements Op {
  readonly type = 'mean_pool';
  readonly dense = [];
  readonly tables: EmbeddingTable[];
  constructor(
    readonly table: EmbeddingTable,
    /** Index of the multi-valued field in the layout (and in EncodedBatch.multi). */
    readonly field: number,
    readonly maxLen: number,
  ) {
    this.tables = [table];
  }

  forward(ctx: ForwardCtx, _ins: Float32Array[], out: Float32Array): void {
    const d = this.table.dim;
    const w = this.table.data;
    const ids = ctx.batch.multi[this.field];
    const L = this.maxLen;
    out.fill(0, 0, ctx.n * d);
    for (let i = 0; i < ctx.n; i++) {
      let count = 0;
      const o = i * d;
      for (let s = 0; s < L; s++) {
        const r = ids[i * L + s];
        if (r === PADDING_ROW) continue;
        count++;
        const src = r * d;
        for (let j = 0; j < d; j++) out[o + j] += w[src + j];
      }
      if (count > 1) for (let j = 0; j < d; j++) out[o + j] /= count;
    }
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], _out: Float32Array, dOut: Float32Array): void {
    const g = ctx.sparseGrad(this.table);
    const ids = ctx.batch.multi[this.field];
    const L = this.maxLen;
    const d = this.table.dim;
    for (let i = 0; i < ctx.n; i++) {
      let count = 0;
      for (let s = 0; s < L; s++) if (ids[i * L + s] !== PADDING_ROW) count++;
      if (count === 0) continue;
      for (let s = 0; s < L; s++) g.add(ids[i * L + s], dOut, i * d, 1 / count);
    }
  }

  onnx(e: OnnxEmitter): string {
    const ids = e.inputs.multi[this.field];
    const rows = e.embedding(this.table, ids); // [N, L, d]
    const axis = e.int64Const([1]);
    const sum = e.node('ReduceSum', [rows, axis], { keepdims: 0 });
    const real = e.node('Cast', [e.node('Not', [e.node('Equal', [ids, e.int32Const([PADDING_ROW])])])], { to: 1 });
    const count = e.node('Max', [e.node('ReduceSum', [real, axis], { keepdims: 1 }), e.floatConst('one', new Float32Array([1]), [1])]);
    return e.node('Div', [sum, count]);
  }
}
