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
    const T = this.total;
    let off = 0;
    for (let p = 0; p < ins.length; p++) {
      const w = this.widths[p];
      const x = ins[p];
      for (let i = 0; i < ctx.n; i++) {
        const s = i * w;
        const o = i * T + off;
        for (let j = 0; j < w; j++) out[o + j] = x[s + j];
      }
      off += w;
    }
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], _out: Float32Array, dOut: Float32Array, dIns: Float32Array[]): void {
    const T = this.total;
    let off = 0;
    for (let p = 0; p < dIns.length; p++) {
      const w = this.widths[p];
      const dx = dIns[p];
      for (let i = 0; i < ctx.n; i++) {
        const s = i * T + off;
        const o = i * w;
        for (let j = 0; j < w; j++) dx[o + j] += dOut[s + j];
      }
      off += w;
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    return ins.length === 1 ? ins[0] : e.node('Concat', ins, { axis: 1 });
  }
}
