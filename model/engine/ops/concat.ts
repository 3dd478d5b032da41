// Side-by-side concatenation of [n, d_i] inputs into [n, sum d_i].

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class Concat implements Op {
  readonly type = 'concat';
  readonly dense = [];
  readonly tables = [];
  readonly total: number;
  constructor(readonly widths: readonly number[]) {
    this.total = widths.reduce((a, b) => a + b, 0);
  }

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    let off = 0;
    for (let p = 0; p < ins.length; p++) {
      ctx.k.concatColumns(ins[p], ctx.n, this.widths[p], out, this.total, off);
      off += this.widths[p];
    }
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], _out: Float32Array, dOut: Float32Array, dIns: Float32Array[]): void {
    let off = 0;
    for (let p = 0; p < dIns.length; p++) {
      ctx.k.concatColumnsBackward(dOut, ctx.n, this.total, off, this.widths[p], dIns[p]);
      off += this.widths[p];
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    return ins.length === 1 ? ins[0] : e.node('Concat', ins, { axis: 1 });
  }
}
