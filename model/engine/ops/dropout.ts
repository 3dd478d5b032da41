// Inverted dropout (Srivastava et al., JMLR 2014): in a training pass each activation is
// zeroed with probability `rate` and the others scaled by 1 / (1 - rate), so that
// prediction, which drops nothing, needs no rescaling and exports as the identity.
//
// The mask is not stored: it is a hash of the pass's noise word and the element's index,
// recomputed by backward. So a shard's mask depends on the run's seed, the shard and the
// step, never on which thread runs the shard.

import { fmix32 } from '../../features/hash.ts';
import type { OnnxEmitter } from '../onnx-emitter.ts';
import type { BackwardCtx, ForwardCtx, Op } from '../graph.ts';

export class Dropout implements Op {
  readonly type = 'dropout';
  readonly dense = [];
  readonly tables = [];
  /** An element is kept when its 32-bit hash is at least this. */
  private readonly threshold: number;
  private readonly scale: number;

  constructor(
    readonly width: number,
    readonly rate: number,
    /** Distinguishes the masks of the dropout layers of one graph. */
    readonly salt: number,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
    this.threshold = Math.round(rate * 4294967296);
    this.scale = 1 / (1 - rate);
  }

  /** The 32-bit word element hashes start from in this pass, or -1 when nothing is dropped. */
  private word(ctx: ForwardCtx): number {
    return ctx.noise === null || this.rate === 0 ? -1 : fmix32((ctx.noise ^ Math.imul(this.salt + 1, 0x85ebca6b)) >>> 0);
  }

  forward(ctx: ForwardCtx, ins: Float32Array[], out: Float32Array): void {
    const x = ins[0];
    const m = ctx.n * this.width;
    const w = this.word(ctx);
    if (w < 0) {
      out.set(x.subarray(0, m));
      return;
    }
    const { threshold, scale } = this;
    for (let i = 0; i < m; i++) out[i] = fmix32((w + Math.imul(i, 0x9e3779b9)) >>> 0) >= threshold ? x[i] * scale : 0;
  }

  backward(ctx: BackwardCtx, _ins: Float32Array[], _out: Float32Array, dy: Float32Array, dIns: Float32Array[]): void {
    const dx = dIns[0];
    const m = ctx.n * this.width;
    const w = this.word(ctx);
    if (w < 0) {
      for (let i = 0; i < m; i++) dx[i] += dy[i];
      return;
    }
    const { threshold, scale } = this;
    for (let i = 0; i < m; i++) if (fmix32((w + Math.imul(i, 0x9e3779b9)) >>> 0) >= threshold) dx[i] += dy[i] * scale;
  }

  /** Prediction keeps every activation: no node. */
  onnx(_e: OnnxEmitter, ins: string[]): string {
    return ins[0];
  }
}
