// Embeddings of every single-valued categorical field, side by side: [n, fields * dim].
// The encoder already turned raw values into table rows, so this is a pure gather.

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';
import type { EmbeddingTable } from '../params.ts';

export class EmbedFields implements Op {
  readonly type = 'embed';
  readonly dense = [];
  readonly tables: EmbeddingTable[];
  constructor(
    readonly table: EmbeddingTable,
    readonly fields: number,
  ) {
    this.tables = [table];
  }

  forward(ctx: ForwardCtx, _ins: Float32Array[], out: Float32Array): void {
    ctx.k.gatherRows(this.table.data, ctx.batch.cat, ctx.n * this.fields, this.table.dim, out);
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], _out: Float32Array, dOut: Float32Array): void {
    ctx.sparseGrad(this.table).addRows(ctx.k, ctx.batch.cat, ctx.n * this.fields, dOut);
  }

  onnx(e: OnnxEmitter): string {
    const rows = e.embedding(this.table, e.inputs.cat); // [N, F, d]
    return e.node('Reshape', [rows, e.int64Const([0, this.fields * this.table.dim])]);
  }
}
