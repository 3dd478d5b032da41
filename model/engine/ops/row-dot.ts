// Scaled dot product of two [n, d] inputs, row by row: [n, 1] = scale * sum_j a_ij b_ij.
// The attention score of AITM's information-transfer module (query . key / sqrt(d)).

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class RowDot implements Op {
  readonly type = 'row_dot';
  readonly dense = [];
  readonly tables = [];
  constructor(
    readonly width: number,
    readonly scale: number,
  ) {}

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const [a, b] = ins;
    const d = this.width;
    for (let i = 0; i < ctx.n; i++) {
      let s = 0;
      for (let j = i * d; j < (i + 1) * d; j++) s += a[j] * b[j];
      out[i] = this.scale * s;
    }
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const [a, b] = ins;
    const [da, db] = dIns;
    const d = this.width;
    for (let i = 0; i < ctx.n; i++) {
      const g = this.scale * dy[i];
      if (g === 0) continue;
      for (let j = i * d; j < (i + 1) * d; j++) {
        da[j] += g * b[j];
        db[j] += g * a[j];
      }
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    const dot = e.node('ReduceSum', [e.node('Mul', ins), e.int64Const([1])], { keepdims: 1 });
    return e.node('Mul', [dot, e.floatConst('row_dot.scale', new Float32Array([this.scale]), [1])]);
  }
}
