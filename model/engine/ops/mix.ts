// Gate-weighted sum of experts (MMoE, PLE): y = sum_k g[:, k] * expert_k, inputs [gate, e_1..e_K].

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class MixExperts implements Op {
  readonly type = 'mix';
  readonly dense = [];
  readonly tables = [];
  constructor(
    readonly experts: number,
    readonly width: number,
  ) {}

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const K = this.experts;
    out.fill(0, 0, ctx.n * this.width);
    for (let k = 0; k < K; k++) ctx.k.mixAdd(out, ins[0], K, k, ins[k + 1], ctx.n, this.width);
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const K = this.experts;
    for (let k = 0; k < K; k++) ctx.k.mixBackward(dy, ins[0], K, k, ins[k + 1], ctx.n, this.width, dIns[k + 1], dIns[0]);
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    // [N, 1, K] x [N, K, d] -> [N, 1, d] -> [N, d]
    const gate = e.node('Unsqueeze', [ins[0], e.int64Const([1])]);
    const stacked = e.node('Concat', ins.slice(1).map((x) => e.node('Unsqueeze', [x, e.int64Const([1])])), { axis: 1 });
    return e.node('Squeeze', [e.node('MatMul', [gate, stacked]), e.int64Const([1])]);
  }
}
