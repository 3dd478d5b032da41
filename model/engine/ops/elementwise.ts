// Element-wise ops on task probabilities: the output sigmoid, and the product ESMM uses for
// pCTCVR = pCTR x pCVR.

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class Sigmoid implements Op {
  readonly type = 'sigmoid';
  readonly dense = [];
  readonly tables = [];
  constructor(readonly width: number) {}

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const x = ins[0];
    for (let i = 0; i < ctx.n * this.width; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], y: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const dx = dIns[0];
    for (let i = 0; i < ctx.n * this.width; i++) dx[i] += dy[i] * y[i] * (1 - y[i]);
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    return e.node('Sigmoid', ins);
  }
}

export class Multiply implements Op {
  readonly type = 'mul';
  readonly dense = [];
  readonly tables = [];
  constructor(readonly width: number) {}

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const [a, b] = ins;
    for (let i = 0; i < ctx.n * this.width; i++) out[i] = a[i] * b[i];
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const [a, b] = ins;
    const [da, db] = dIns;
    for (let i = 0; i < ctx.n * this.width; i++) {
      da[i] += dy[i] * b[i];
      db[i] += dy[i] * a[i];
    }
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    return e.node('Mul', ins);
  }
}
