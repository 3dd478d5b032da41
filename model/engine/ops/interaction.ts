// Pairwise dot products of the field embeddings (the interaction layer of FM / DLRM):
// input [n, F * d] holds F vectors per row, output [n, F (F - 1) / 2] their dots for i < j.
// An MLP on concatenated embeddings learns inner products poorly (Rendle et al., RecSys
// 2020), yet "does this user's taste / history match this candidate's category" is exactly
// an inner product, so every architecture gets these explicitly next to the embeddings.

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class DotInteraction implements Op {
  readonly type = 'dot_interaction';
  readonly dense = [];
  readonly tables = [];
  readonly pairs: number;

  constructor(
    readonly fields: number,
    readonly dim: number,
  ) {
    this.pairs = (fields * (fields - 1)) / 2;
  }

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    ctx.k.dotInteraction(ins[0], ctx.n, this.fields, this.dim, out);
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    ctx.k.dotInteractionBackward(ins[0], dy, ctx.n, this.fields, this.dim, dIns[0]);
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    const { fields: F, dim: d } = this;
    const v = e.node('Reshape', [ins[0], e.int64Const([0, F, d])]); // [N, F, d]
    const gram = e.node('MatMul', [v, e.node('Transpose', [v], { perm: [0, 2, 1] })]); // [N, F, F]
    const flat = e.node('Reshape', [gram, e.int64Const([0, F * F])]);
    const upper: number[] = [];
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) upper.push(i * F + j);
    return e.node('Gather', [flat, e.int64Const(upper)], { axis: 1 });
  }
}
