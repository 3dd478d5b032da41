// The normalised numeric features as they come from the shared encoder: [n, features].

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { ForwardCtx, Op } from '../graph.ts';

export class NumericInput implements Op {
  readonly type = 'numeric';
  readonly dense = [];
  readonly tables = [];
  constructor(readonly width: number) {}

  forward(ctx: ForwardCtx, _ins: Float32Array[], out: Float32Array): void {
    out.set(ctx.batch.num.subarray(0, ctx.n * this.width));
  }

  backward(): void {}

  onnx(e: OnnxEmitter): string {
    return e.inputs.num;
  }
}
