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
    const d = this.width;
    const g = ins[0];
    out.fill(0, 0, ctx.n * d);
    for (let k = 0; k < K; k++) {
      const e = ins[k + 1];
      for (let i = 0; i < ctx.n; i++) {
        const gk = g[i * K + k];
        const o = i * d;
        for (let j = 0; j < d; j++) out[o + j] += gk * e[o + j];
      }
    }
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const K = this.experts;
    const d = this.width;
    const g = ins[0];
    const dg = dIns[0];
    for (let k = 0; k < K; k++) {
      const e = ins[k + 1];
      const de = dIns[k + 1];
      for (let i = 0; i < ctx.n; i++) {
        const gk = g[i * K + k];
        const o = i * d;
        let dot = 0;
        for (let j = 0; j < d; j++) {
          dot += dy[o + j] * e[o + j];
          de[o + j] += gk * dy[o + j];
        }
        dg[i * K + k] += dot;
      }
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    // [N, 1, K] x [N, K, d] -> [N, 1, d] -> [N, d]
    const gate = e.node('Unsqueeze', [ins[0], e.int64Const([1])]);
    const stacked = e.node('Concat', ins.slice(1).map((x) => e.node('Unsqueeze', [x, e.int64Const([1])])), { axis: 1 });
    return e.node('Squeeze', [e.node('MatMul', [gate, stacked]), e.int64Const([1])]);
  }
}
