// Row-wise softmax (the gates of MMoE and PLE).

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class Softmax implements Op {
  readonly type = 'softmax';
  readonly dense = [];
  readonly tables = [];
  constructor(readonly width: number) {}

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const K = this.width;
    const x = ins[0];
    for (let i = 0; i < ctx.n; i++) {
      const o = i * K;
      let max = -Infinity;
      for (let j = 0; j < K; j++) if (x[o + j] > max) max = x[o + j];
      let sum = 0;
      for (let j = 0; j < K; j++) sum += out[o + j] = Math.exp(x[o + j] - max);
      for (let j = 0; j < K; j++) out[o + j] /= sum;
    }
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], y: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const K = this.width;
    const dx = dIns[0];
    for (let i = 0; i < ctx.n; i++) {
      const o = i * K;
      let dot = 0;
      for (let j = 0; j < K; j++) dot += dy[o + j] * y[o + j];
      for (let j = 0; j < K; j++) dx[o + j] += y[o + j] * (dy[o + j] - dot);
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    return e.node('Softmax', ins, { axis: -1 });
  }
}
