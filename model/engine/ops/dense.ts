// Fully connected layer y = act(x W + b), W stored [in, out] row-major. ReLU is fused in:
// it saves a pass over the activations and a buffer per layer on the training hot path.

import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';
import { DenseParam } from '../params.ts';

export type Activation = 'relu' | 'linear';

export class Dense implements Op {
  readonly type = 'dense';
  readonly tables = [];
  readonly dense: DenseParam[];
  constructor(
    readonly w: DenseParam,
    readonly b: DenseParam,
    readonly inDim: number,
    readonly outDim: number,
    readonly act: Activation,
  ) {
    this.dense = [w, b];
  }

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const { k, n } = ctx;
    k.gemm(false, false, n, this.outDim, this.inDim, ins[0], this.w.data, out, false);
    k.addBias(out, this.b.data, n, this.outDim);
    if (this.act === 'relu') k.relu(out, out, n * this.outDim);
  }

  backward(ctx: BackwardCtx, ins: Float32Array[], out: Float32Array, dOut: Float32Array, dIns: Float32Array[]): void {
    const { k, n } = ctx;
    if (this.act === 'relu') k.reluBackward(dOut, out, dOut, n * this.outDim);
    k.gemm(true, false, this.inDim, this.outDim, n, ins[0], dOut, ctx.denseGrad(this.w), true);
    k.colSum(dOut, n, this.outDim, ctx.denseGrad(this.b), true);
    if (dIns[0]) k.gemm(false, true, n, this.inDim, this.outDim, dOut, this.w.data, dIns[0], true);
  }

  onnx(e: OnnxEmitter, ins: string[]): string {
    const y = e.node('Add', [e.matmul(ins[0], this.w.data, this.inDim, this.outDim, this.w.name), e.floatConst(this.b.name, this.b.data, [this.outDim])]);
    return this.act === 'relu' ? e.node('Relu', [y]) : y;
  }
}
