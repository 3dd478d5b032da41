// WASM SIMD kernels (compiled from ./assembly/*.ts, embedded by scripts/build-kernels.mjs).
// The memory, its allocator and the copy-through path are in wasm-heap.ts.

import { adamRows as adamRowsJs, checkColumns, checkInteraction, checkMix, checkRows, checkScatter, gatherRows as gatherRowsJs, scatterAddRows as scatterAddRowsJs, touchedFull } from './js.ts';
import { checkLen, type Kernels } from './types.ts';
import { ALIGN, WasmHeap } from './wasm-heap.ts';
import { instantiateKernels, newSharedMemory, preferredBuild, type KernelBuild, type WasmMemory } from './wasm-module.ts';

export { preferredBuild, wasmSimdSupported, type KernelBuild, type WasmMemory } from './wasm-module.ts';


export interface WasmKernels extends Kernels {
  readonly name: 'wasm-simd';
  /** Which build of the module runs (fused multiply-adds or not); every thread of a training must run the same one. */
  readonly build: KernelBuild;
  /** The shared memory every allocation lives in (post it to a worker and pass it back in). */
  readonly memory: WasmMemory;
  /** Byte address of a view of this memory, or -1 if the array lives elsewhere. */
  addressOf(arr: Float32Array | Int32Array): number;
  /** A Float32Array over [byteOffset, byteOffset + 4*length) of this memory (e.g. an address received from another thread). */
  viewF32(byteOffset: number, length: number): Float32Array;
  /** Int32 variant of viewF32. */
  viewI32(byteOffset: number, length: number): Int32Array;
  /**
   * Number of kernel calls that had to copy an operand through scratch because it was not a
   * recognised view of this memory (correct but slow). The engine can assert it stays 0.
   */
  readonly fallbackCopies: number;
}

export interface WasmKernelOptions {
  /** Share an existing memory (created by another instance, possibly in another thread). */
  memory?: WasmMemory;
  /** Initial / maximum size in 64 KiB pages of a newly created memory (defaults 16 and 65536 = 4 GiB). */
  initialPages?: number;
  maximumPages?: number;
  /** The module build (default: the preferred one of this runtime). A worker thread gets its training's. */
  build?: KernelBuild;
}

interface Exports {
  heapBase(): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, a: number, b: number, c: number, acc: number, scratch: number): void;
  addBias(y: number, bias: number, m: number, n: number): void;
  colSum(dy: number, m: number, n: number, out: number, acc: number): void;
  relu(x: number, y: number, len: number): void;
  reluBackward(dy: number, y: number, dx: number, len: number): void;
  adam(w: number, g: number, m: number, v: number, len: number, lr: number, b1: number, c1: number, b2: number, c2: number, eps: number): void;
  adamRows(w: number, g: number, m: number, v: number, rows: number, count: number, d: number, lr: number, b1: number, c1: number, b2: number, c2: number, eps: number, keep: number): void;
  scatterAddRows(grad: number, stamp: number, touched: number, state: number, cap: number, ids: number, count: number, d: number, src: number): number;
  mixAdd(y: number, g: number, K: number, k: number, e: number, n: number, d: number): void;
  mixBackward(dy: number, g: number, K: number, k: number, e: number, n: number, d: number, de: number, dg: number): void;
  gatherRows(table: number, ids: number, count: number, d: number, out: number): void;
  dotInteraction(x: number, n: number, F: number, d: number, out: number): void;
  dotInteractionBackward(x: number, dy: number, n: number, F: number, d: number, dx: number): void;
  concatColumns(x: number, n: number, w: number, out: number, stride: number, offset: number): void;
  concatColumnsBackward(dOut: number, n: number, stride: number, offset: number, w: number, dx: number): void;
  movingAverage(avg: number, w: number, len: number, b: number, a: number): void;
}

export async function createWasmKernels(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const memory = opts.memory ?? newSharedMemory(Math.max(1, opts.initialPages ?? 16), opts.maximumPages);
  if (!(memory.buffer instanceof SharedArrayBuffer)) throw new TypeError('createWasmKernels: memory must be shared');
  const build = opts.build ?? preferredBuild();
  return new WasmKernelsImpl(memory, build, (await instantiateKernels(memory, build)) as unknown as Exports);
}

class WasmKernelsImpl extends WasmHeap implements WasmKernels {
  readonly name = 'wasm-simd' as const;

  constructor(
    memory: WasmMemory,
    readonly build: KernelBuild,
    private readonly ex: Exports,
  ) {
    super(memory, ex.heapBase());
  }

  // ---- kernels ------------------------------------------------------------------------------

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
    checkLen('a', a, m * k);
    checkLen('b', b, k * n);
    checkLen('c', c, m * n);
    if (m <= 0 || n <= 0) return;
    const tA = transA ? 1 : 0, tB = transB ? 1 : 0, acc = accumulate ? 1 : 0;
    // Scratch for the kernel: B packed transposed (transB), then 4 packed columns of B ([4,k]).
    const extra = (transB ? Math.ceil((n * k * 4) / ALIGN) * ALIGN : 0) + Math.ceil((16 * k) / ALIGN) * ALIGN;
    const pa = this.addressOf(a), pb = this.addressOf(b), pc = this.addressOf(c);
    if (pa >= 0 && pb >= 0 && pc >= 0) {
      this.ex.gemm(tA, tB, m, n, k, pa, pb, pc, acc, this.scratch(extra));
      return;
    }
    this.withCopies([[a, m * k, 1], [b, k * n, 1], [c, m * n, accumulate ? 3 : 2]], extra, (p, s) =>
      this.ex.gemm(tA, tB, m, n, k, p[0], p[1], p[2], acc, s),
    );
  }

  addBias(y: Float32Array, bias: Float32Array, m: number, n: number): void {
    checkLen('y', y, m * n);
    checkLen('bias', bias, n);
    const py = this.addressOf(y), pb = this.addressOf(bias);
    if (py >= 0 && pb >= 0) return this.ex.addBias(py, pb, m, n);
    this.withCopies([[y, m * n, 3], [bias, n, 1]], 0, (p) => this.ex.addBias(p[0], p[1], m, n));
  }

  colSum(dy: Float32Array, m: number, n: number, out: Float32Array, accumulate: boolean): void {
    checkLen('dy', dy, m * n);
    checkLen('out', out, n);
    const acc = accumulate ? 1 : 0;
    const pd = this.addressOf(dy), po = this.addressOf(out);
    if (pd >= 0 && po >= 0) return this.ex.colSum(pd, m, n, po, acc);
    this.withCopies([[dy, m * n, 1], [out, n, accumulate ? 3 : 2]], 0, (p) => this.ex.colSum(p[0], m, n, p[1], acc));
  }

  relu(x: Float32Array, y: Float32Array, len: number): void {
    checkLen('x', x, len);
    checkLen('y', y, len);
    const px = this.addressOf(x), py = this.addressOf(y);
    if (px >= 0 && py >= 0) return this.ex.relu(px, py, len);
    this.chunked(len, [[x, 1], [y, 2]], (p, n) => this.ex.relu(p[0], p[1], n));
  }

  reluBackward(dy: Float32Array, y: Float32Array, dx: Float32Array, len: number): void {
    checkLen('dy', dy, len);
    checkLen('y', y, len);
    checkLen('dx', dx, len);
    const pd = this.addressOf(dy), py = this.addressOf(y), px = this.addressOf(dx);
    if (pd >= 0 && py >= 0 && px >= 0) return this.ex.reluBackward(pd, py, px, len);
    this.chunked(len, [[dy, 1], [y, 1], [dx, 2]], (p, n) => this.ex.reluBackward(p[0], p[1], p[2], n));
  }

  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, len: number, lr: number, b1: number, b2: number, eps: number): void {
    checkLen('w', w, len);
    checkLen('g', g, len);
    checkLen('m', m, len);
    checkLen('v', v, len);
    const pw = this.addressOf(w), pg = this.addressOf(g), pm = this.addressOf(m), pv = this.addressOf(v);
    if (pw >= 0 && pg >= 0 && pm >= 0 && pv >= 0) return this.ex.adam(pw, pg, pm, pv, len, lr, b1, 1 - b1, b2, 1 - b2, eps);
    this.chunked(len, [[w, 3], [g, 3], [m, 3], [v, 3]], (p, n) => this.ex.adam(p[0], p[1], p[2], p[3], n, lr, b1, 1 - b1, b2, 1 - b2, eps));
  }

  adamRows(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, count: number, d: number, lr: number, b1: number, b2: number, eps: number, keep: number): void {
    checkLen('rows', rows, count);
    // The wasm loop does not bounds-check rows: check them here (one compare per row of d updates).
    checkRows('adamRows', rows, count, d, Math.min(w.length, g.length, m.length, v.length));
    const pw = this.addressOf(w), pg = this.addressOf(g), pm = this.addressOf(m), pv = this.addressOf(v);
    if (!(pw >= 0 && pg >= 0 && pm >= 0 && pv >= 0)) {
      // A table outside the memory: the JS loop on the arrays themselves.
      this.fallbackCopies++;
      return adamRowsJs(w, g, m, v, rows, count, d, lr, b1, b2, eps, keep);
    }
    // The row list may be an ordinary array (the optimizer's, one per thread): copying count
    // ints into this instance's scratch is small next to the 4 x d floats a row updates.
    let pr = this.addressOf(rows);
    if (pr < 0) {
      pr = this.scratch(count * 4);
      new Int32Array(this.buffer(), pr, count).set(rows.subarray(0, count));
    }
    this.ex.adamRows(pw, pg, pm, pv, pr, count, d, lr, b1, 1 - b1, b2, 1 - b2, eps, keep);
  }

  scatterAddRows(grad: Float32Array, stamp: Int32Array, touched: Int32Array, state: Int32Array, ids: Int32Array, count: number, d: number, src: Float32Array): void {
    // The wasm loop does not check the ids: they are checked here (one compare per id).
    checkScatter(grad, stamp, state, ids, count, d, src);
    const ptrs = [grad, stamp, touched, state, ids, src].map((a) => this.addressOf(a));
    if (ptrs.every((p) => p >= 0)) {
      if (this.ex.scatterAddRows(ptrs[0], ptrs[1], ptrs[2], ptrs[3], touched.length, ptrs[4], count, d, ptrs[5]) !== 0) throw touchedFull(touched.length);
      return;
    }
    // An operand outside the memory: the JS loop on the arrays themselves (the same float32 adds).
    this.fallbackCopies++;
    scatterAddRowsJs(grad, stamp, touched, state, ids, count, d, src);
  }

  mixAdd(y: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number): void {
    checkMix(y, g, K, k, e, n, d);
    const py = this.addressOf(y), pg = this.addressOf(g), pe = this.addressOf(e);
    if (py >= 0 && pg >= 0 && pe >= 0) return this.ex.mixAdd(py, pg, K, k, pe, n, d);
    this.withCopies([[y, n * d, 3], [g, n * K, 1], [e, n * d, 1]], 0, (p) => this.ex.mixAdd(p[0], p[1], K, k, p[2], n, d));
  }

  mixBackward(dy: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number, de: Float32Array, dg: Float32Array): void {
    checkMix(dy, g, K, k, e, n, d);
    checkLen('de', de, n * d);
    checkLen('dg', dg, n * K);
    const ptrs = [dy, g, e, de, dg].map((a) => this.addressOf(a));
    if (ptrs.every((p) => p >= 0)) return this.ex.mixBackward(ptrs[0], ptrs[1], K, k, ptrs[2], n, d, ptrs[3], ptrs[4]);
    this.withCopies([[dy, n * d, 1], [g, n * K, 1], [e, n * d, 1], [de, n * d, 3], [dg, n * K, 3]], 0, (p) => this.ex.mixBackward(p[0], p[1], K, k, p[2], n, d, p[3], p[4]));
  }

  dotInteraction(x: Float32Array, n: number, F: number, d: number, out: Float32Array): void {
    checkInteraction(x, n, F, d, out, 'out');
    const px = this.addressOf(x), po = this.addressOf(out);
    if (px >= 0 && po >= 0) return this.ex.dotInteraction(px, n, F, d, po);
    this.withCopies([[x, n * F * d, 1], [out, (n * F * (F - 1)) / 2, 2]], 0, (p) => this.ex.dotInteraction(p[0], n, F, d, p[1]));
  }

  dotInteractionBackward(x: Float32Array, dy: Float32Array, n: number, F: number, d: number, dx: Float32Array): void {
    checkInteraction(x, n, F, d, dy, 'dy');
    checkLen('dx', dx, n * F * d);
    const px = this.addressOf(x), pg = this.addressOf(dy), pd = this.addressOf(dx);
    if (px >= 0 && pg >= 0 && pd >= 0) return this.ex.dotInteractionBackward(px, pg, n, F, d, pd);
    this.withCopies([[x, n * F * d, 1], [dy, (n * F * (F - 1)) / 2, 1], [dx, n * F * d, 3]], 0, (p) => this.ex.dotInteractionBackward(p[0], p[1], n, F, d, p[2]));
  }

  gatherRows(table: Float32Array, ids: Int32Array, count: number, d: number, out: Float32Array): void {
    checkLen('ids', ids, count);
    checkLen('out', out, count * d);
    const pt = this.addressOf(table), pi = this.addressOf(ids), po = this.addressOf(out);
    // The wasm loop does not bounds-check ids: check them here (cheap next to the copy).
    checkRows('gatherRows', ids, count, d, table.length);
    if (pt >= 0 && pi >= 0 && po >= 0) return this.ex.gatherRows(pt, pi, count, d, po);
    // An operand outside the memory: the plain copy (exact too) instead of copying the table through.
    this.fallbackCopies++;
    gatherRowsJs(table, ids, count, d, out);
  }

  concatColumns(x: Float32Array, n: number, w: number, out: Float32Array, stride: number, offset: number): void {
    checkColumns('concatColumns', x, n, w, out, stride, offset);
    if (n <= 0 || w <= 0) return;
    const px = this.addressOf(x), po = this.addressOf(out);
    if (px >= 0 && po >= 0) return this.ex.concatColumns(px, n, w, po, stride, offset);
    this.withCopies([[x, n * w, 1], [out, (n - 1) * stride + offset + w, 3]], 0, (p) => this.ex.concatColumns(p[0], n, w, p[1], stride, offset));
  }

  concatColumnsBackward(dOut: Float32Array, n: number, stride: number, offset: number, w: number, dx: Float32Array): void {
    checkColumns('concatColumnsBackward', dx, n, w, dOut, stride, offset);
    if (n <= 0 || w <= 0) return;
    const pd = this.addressOf(dOut), px = this.addressOf(dx);
    if (pd >= 0 && px >= 0) return this.ex.concatColumnsBackward(pd, n, stride, offset, w, px);
    this.withCopies([[dOut, (n - 1) * stride + offset + w, 1], [dx, n * w, 3]], 0, (p) => this.ex.concatColumnsBackward(p[0], n, stride, offset, w, p[1]));
  }

  movingAverage(avg: Float32Array, w: Float32Array, len: number, b: number, a: number): void {
    checkLen('avg', avg, len);
    checkLen('w', w, len);
    const pa = this.addressOf(avg), pw = this.addressOf(w);
    if (pa >= 0 && pw >= 0) return this.ex.movingAverage(pa, pw, len, b, a);
    this.chunked(len, [[avg, 3], [w, 1]], (p, m) => this.ex.movingAverage(p[0], p[1], m, b, a));
  }
}
