// Dense-math kernels: both implementations against float64 references, the wasm memory model
// (shared memory, allocator across instances and threads, copy-through of foreign arrays), and
// the committed wasm binary against a fresh build of its AssemblyScript source.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import type { Kernels } from '../model/engine/kernels/types.ts';
import { createWasmKernels, preferredBuild, wasmSimdSupported } from '../model/engine/kernels/wasm.ts';
import { createKernels } from '../model/engine/kernels/index.ts';
// As training does: relaxed SIMD on (a flag on Node 20), so the fused build is the preferred one.
import '../model/train/relaxed-simd.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const REL = 1e-5;

// ---- helpers ----------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A way to obtain operand arrays for an implementation. */
interface Variant {
  label: string;
  k: Kernels;
  make(len: number): Float32Array;
}

function randomFill(a: Float32Array, r: () => number, scale = 2): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = (r() - 0.5) * scale;
  return a;
}

/** Elementwise check |got - ref| <= REL * scale (+ a denormal-sized floor). */
function assertClose(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, scale: ArrayLike<number> | number, len = ref.length): void {
  for (let i = 0; i < len; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const tol = REL * s + 1e-30;
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= tol)) assert.fail(`${what}: element ${i}: got ${got[i]}, want ${ref[i]} (|diff| ${d} > tol ${tol})`);
  }
}

function refGemm(tA: boolean, tB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c0: Float32Array, acc: boolean) {
  const c = new Float64Array(m * n), scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = acc ? c0[i * n + j] : 0;
      let sa = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const x = (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
        s += x;
        sa += Math.abs(x);
      }
      c[i * n + j] = s;
      scale[i * n + j] = sa;
    }
  }
  return { c, scale };
}

function checkGemm(v: Variant, tA: boolean, tB: boolean, m: number, n: number, k: number, acc: boolean, r: () => number): void {
  const a = randomFill(v.make(m * k), r), b = randomFill(v.make(k * n), r), c = v.make(m * n);
  if (acc) randomFill(c, r);
  else c.fill(NaN); // must be overwritten, never read
  const c0 = Float32Array.from(c);
  const { c: want, scale } = refGemm(tA, tB, m, n, k, a, b, c0, acc);
  v.k.gemm(tA, tB, m, n, k, a, b, c, acc);
  assertClose(`${v.label} gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} m=${m} n=${n} k=${k} acc=${acc}`, c, want, scale);
}

const wasm = await createWasmKernels();
const wasmPlain = await createWasmKernels({ build: 'simd' });
const js = createJsKernels();

const variants: Variant[] = [
  { label: 'js', k: js, make: (n) => js.alloc(n) },
  { label: 'wasm', k: wasm, make: (n) => wasm.alloc(n) },
  // The build without fused multiply-adds, for runtimes without relaxed SIMD.
  { label: 'wasm-plain', k: wasmPlain, make: (n) => wasmPlain.alloc(n) },
  // Views that start 4 bytes past a 64-byte boundary: unaligned v128 accesses.
  { label: 'wasm-unaligned', k: wasm, make: (n) => wasm.alloc(n + 1).subarray(1) },
  // Arrays outside the wasm memory: the copy-through path.
  { label: 'wasm-foreign', k: wasm, make: (n) => new Float32Array(n) },
];

/** Engine shapes: a dense layer [in -> out] at batch 512 (forward NN, input gradient NT, weight gradient TN). */
const HOT_LAYERS: [number, number][] = [
  [132, 64],
  [64, 32],
  [32, 16],
  [16, 8],
  [8, 4],
  [4, 1],
  [16, 1],
  [132, 4],
];

// ---- gemm ---------------------------------------------------------------------------------------

describe('gemm', () => {
  for (const v of variants) {
    test(`${v.label}: random shapes 1..70, all transposes, accumulate on/off`, () => {
      const r = rng(12345);
      for (let t = 0; t < 40; t++) {
        const m = 1 + Math.floor(r() * 70), n = 1 + Math.floor(r() * 70), k = 1 + Math.floor(r() * 70);
        for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) checkGemm(v, tA, tB, m, n, k, acc, r);
      }
    });

    test(`${v.label}: edge shapes (1s, n % 4 != 0, k = 0)`, () => {
      const r = rng(7);
      const shapes: [number, number, number][] = [
        [1, 1, 1], [1, 1, 17], [1, 17, 1], [17, 1, 1], [1, 9, 5], [5, 1, 9], [4, 1, 16], [8, 1, 3], [3, 3, 3],
        [4, 8, 1], [5, 9, 2], [7, 12, 33], [4, 5, 4], [6, 2, 7], [2, 6, 7], [13, 3, 1], [512, 1, 16], [16, 1, 512],
        [4, 4, 0], [3, 5, 0],
      ];
      for (const [m, n, k] of shapes) {
        for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) checkGemm(v, tA, tB, m, n, k, acc, r);
      }
    });

    test(`${v.label}: hot engine shapes (batch 512)`, () => {
      const r = rng(99);
      for (const [inDim, outDim] of HOT_LAYERS) {
        for (const acc of [false, true]) {
          checkGemm(v, false, false, 512, outDim, inDim, acc, r); // Y = X·W
          checkGemm(v, false, true, 512, inDim, outDim, acc, r); // dX = dY·Wᵀ
          checkGemm(v, true, false, inDim, outDim, 512, acc, r); // dW (+)= Xᵀ·dY
          checkGemm(v, true, true, inDim, 512, outDim, acc, r); // TT for completeness
        }
      }
      // m = 256 batches too.
      checkGemm(v, false, false, 256, 64, 132, false, r);
      checkGemm(v, false, true, 256, 132, 64, false, r);
      checkGemm(v, true, false, 132, 64, 256, true, r);
    });
  }

  test('operands shorter than the shape are rejected by both implementations', () => {
    for (const k of [js, wasm]) {
      assert.throws(() => k.gemm(false, false, 4, 4, 4, k.alloc(15), k.alloc(16), k.alloc(16), false), RangeError);
      assert.throws(() => k.gemm(false, false, 4, 4, 4, k.alloc(16), k.alloc(16), k.alloc(15), false), RangeError);
      assert.throws(() => k.relu(k.alloc(3), k.alloc(4), 4), RangeError);
    }
  });
});

// ---- element-wise and reductions ------------------------------------------------------------

const LENS = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 257, 512 * 132, 40000];

describe('element-wise kernels', () => {
  for (const v of variants) {
    test(`${v.label}: addBias`, () => {
      const r = rng(1);
      for (const [m, n] of [[1, 1], [5, 1], [7, 3], [3, 4], [9, 13], [512, 64], [512, 1], [33, 132], [2, 70]]) {
        const y = randomFill(v.make(m * n), r), bias = randomFill(v.make(n), r);
        const want = new Float64Array(m * n), scale = new Float64Array(m * n);
        for (let i = 0; i < m * n; i++) {
          want[i] = y[i] + bias[i % n];
          scale[i] = Math.abs(y[i]) + Math.abs(bias[i % n]);
        }
        v.k.addBias(y, bias, m, n);
        assertClose(`${v.label} addBias ${m}x${n}`, y, want, scale);
      }
    });

    test(`${v.label}: colSum (accumulate on/off)`, () => {
      const r = rng(2);
      for (const [m, n] of [[1, 1], [6, 1], [7, 3], [3, 4], [9, 13], [512, 64], [512, 1], [33, 132], [2, 70], [5, 17], [4, 33]]) {
        for (const acc of [false, true]) {
          const dy = randomFill(v.make(m * n), r), out = v.make(n);
          if (acc) randomFill(out, r);
          else out.fill(NaN);
          const want = new Float64Array(n), scale = new Float64Array(n);
          for (let j = 0; j < n; j++) {
            want[j] = acc ? out[j] : 0;
            scale[j] = Math.abs(want[j]);
            for (let i = 0; i < m; i++) {
              want[j] += dy[i * n + j];
              scale[j] += Math.abs(dy[i * n + j]);
            }
          }
          v.k.colSum(dy, m, n, out, acc);
          assertClose(`${v.label} colSum ${m}x${n} acc=${acc}`, out, want, scale);
        }
      }
    });

    test(`${v.label}: relu (separate and in place)`, () => {
      const r = rng(3);
      for (const len of LENS) {
        const x = randomFill(v.make(len), r), y = v.make(len).fill(NaN);
        const want = Array.from(x, (e) => (e > 0 ? e : 0));
        v.k.relu(x, y, len);
        assert.deepEqual(Array.from(y), want, `${v.label} relu len=${len}`);
        v.k.relu(x, x, len);
        assert.deepEqual(Array.from(x), want, `${v.label} relu in place len=${len}`);
      }
      // Only len elements are touched.
      const x = randomFill(v.make(9), r), y = v.make(9).fill(7);
      v.k.relu(x, y, 5);
      assert.deepEqual(Array.from(y.subarray(5)), [7, 7, 7, 7]);
    });

    test(`${v.label}: reluBackward (separate and dx aliasing dy)`, () => {
      const r = rng(4);
      for (const len of LENS) {
        const y = v.make(len), dy = randomFill(v.make(len), r), dx = v.make(len).fill(NaN);
        for (let i = 0; i < len; i++) y[i] = r() < 0.5 ? 0 : r(); // relu outputs: zeros and positives
        const want = Array.from(dy, (d, i) => (y[i] > 0 ? d : 0));
        v.k.reluBackward(dy, y, dx, len);
        for (let i = 0; i < len; i++) assert.ok(dx[i] === want[i], `${v.label} reluBackward len=${len} at ${i}`);
        v.k.reluBackward(dy, y, dy, len);
        for (let i = 0; i < len; i++) assert.ok(dy[i] === want[i], `${v.label} reluBackward in place len=${len} at ${i}`);
      }
    });

    test(`${v.label}: adam (3 steps, g zeroed)`, () => {
      const r = rng(5);
      const lr = 2e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      for (const len of LENS) {
        const w = randomFill(v.make(len), r), g = v.make(len), m = v.make(len), vv = v.make(len);
        for (let step = 1; step <= 3; step++) {
          randomFill(g, r, 0.2);
          if (len > 3) g[1] = 0; // a zero gradient on a fresh moment
          const corr = (lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
          const wantW = new Float64Array(len), wantM = new Float64Array(len), wantV = new Float64Array(len);
          const scaleW = new Float64Array(len), scaleM = new Float64Array(len);
          for (let i = 0; i < len; i++) {
            wantM[i] = b1 * m[i] + (1 - b1) * g[i];
            scaleM[i] = Math.abs(b1 * m[i]) + Math.abs((1 - b1) * g[i]); // the two terms may cancel
            wantV[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i];
            const upd = (corr * wantM[i]) / (Math.sqrt(wantV[i]) + eps);
            wantW[i] = w[i] - upd;
            scaleW[i] = Math.abs(w[i]) + Math.abs(upd);
          }
          v.k.adam(w, g, m, vv, len, corr, b1, b2, eps);
          const tag = `${v.label} adam len=${len} step=${step}`;
          assertClose(`${tag} m`, m, wantM, scaleM);
          assertClose(`${tag} v`, vv, wantV, Array.from(wantV, Math.abs));
          assertClose(`${tag} w`, w, wantW, scaleW);
          for (let i = 0; i < len; i++) assert.equal(g[i], 0, `${tag} g[${i}] zeroed`);
        }
      }
    });
  }
});

describe('gatherRows', () => {
  for (const v of variants) {
    test(`${v.label}: copies the named rows exactly, only count of them, and refuses a row outside the table`, () => {
      const r = rng(6);
      for (const d of [1, 3, 4, 16, 17]) {
        const rows = 50;
        const table = randomFill(v.make(rows * d), r);
        const count = 37;
        const ids = v.k === wasm && v.label !== 'wasm-foreign' ? wasm.allocInt(count + 1) : new Int32Array(count + 1);
        for (let i = 0; i <= count; i++) ids[i] = Math.floor(r() * rows);
        ids[0] = 0;
        ids[1] = rows - 1;
        const out = v.make((count + 1) * d).fill(NaN);
        v.k.gatherRows(table, ids, count, d, out);
        for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) assert.ok(Object.is(out[i * d + j], table[ids[i] * d + j]), `${v.label} d=${d} row ${i} col ${j}`);
        for (let j = 0; j < d; j++) assert.ok(Number.isNaN(out[count * d + j]), `${v.label} d=${d}: element past count untouched`);
        ids[2] = rows;
        assert.throws(() => v.k.gatherRows(table, ids, count, d, out), /outside a table/);
        ids[2] = -1;
        assert.throws(() => v.k.gatherRows(table, ids, count, d, out), /outside a table/);
      }
    });
  }
});

describe('concatColumns', () => {
  for (const v of variants) {
    test(`${v.label}: copies a block of columns exactly, adds its gradient back, touches nothing else, and refuses a block outside the row`, () => {
      const r = rng(8);
      for (const [w, stride, offset] of [[1, 1, 0], [3, 7, 4], [4, 9, 2], [16, 400, 384], [17, 709, 300], [384, 709, 0]]) {
        for (const n of [0, 1, 5, 33]) {
          const x = randomFill(v.make(n * w), r);
          const out = v.make(n * stride + 1).fill(NaN);
          v.k.concatColumns(x, n, w, out, stride, offset);
          for (let i = 0; i < n; i++)
            for (let c = 0; c < stride; c++) {
              const got = out[i * stride + c];
              if (c >= offset && c < offset + w) assert.ok(Object.is(got, x[i * w + c - offset]), `${v.label} w=${w} n=${n} row ${i} col ${c}`);
              else assert.ok(Number.isNaN(got), `${v.label} w=${w} n=${n} row ${i} col ${c}: outside the block, untouched`);
            }
          assert.ok(Number.isNaN(out[n * stride]), 'past the last row untouched');
          // Backward: dx accumulates the block, in float32.
          const dOut = randomFill(v.make(n * stride), r);
          const dx = randomFill(v.make(n * w + 1), r);
          const before = Float32Array.from(dx);
          v.k.concatColumnsBackward(dOut, n, stride, offset, w, dx);
          for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) assert.equal(dx[i * w + j], Math.fround(before[i * w + j] + dOut[i * stride + offset + j]), `${v.label} backward w=${w} row ${i} col ${j}`);
          assert.equal(dx[n * w], before[n * w], 'past n rows untouched');
        }
      }
      const x = v.make(8), out = v.make(16);
      assert.throws(() => v.k.concatColumns(x, 2, 4, out, 6, 3), /columns \[3, 7\) outside rows of 6/);
      assert.throws(() => v.k.concatColumnsBackward(out, 2, 6, 3, 4, x), /columns \[3, 7\) outside rows of 6/);
      assert.throws(() => v.k.concatColumns(x, 3, 4, out, 8, 0), /length 8 < required 12/);
      assert.throws(() => v.k.concatColumns(x, 2, 4, out.subarray(0, 15), 8, 4), /operand out: length 15 < required 16/);
      assert.throws(() => v.k.concatColumnsBackward(out.subarray(0, 15), 2, 8, 4, 4, x), /operand dOut: length 15 < required 16/);
      assert.throws(() => v.k.concatColumnsBackward(out, 3, 8, 0, 4, x), /operand dx: length 8 < required 12/);
      v.k.concatColumns(x, 2, 4, out, 8, 4); // exactly long enough: the last row's block ends the array
    });
  }
});

describe('movingAverage', () => {
  for (const v of variants) {
    test(`${v.label}: avg = b avg + a w with float32 products and sum, bit for bit, over lengths with and without a tail`, () => {
      const r = rng(9);
      for (const len of LENS) {
        const avg = randomFill(v.make(len), r);
        const w = randomFill(v.make(len), r);
        const expect = Float32Array.from(avg);
        const b = 0.9871, a = 1 - b;
        const fb = Math.fround(b), fa = Math.fround(a);
        for (let j = 0; j < len; j++) {
          // The float32 value of each step, computed by storing through a Float32Array.
          const t = new Float32Array([fb * avg[j], fa * w[j]]);
          expect[j] = new Float32Array([t[0] + t[1]])[0];
        }
        v.k.movingAverage(avg, w, len, b, a);
        for (let j = 0; j < len; j++) if (!Object.is(avg[j], expect[j])) assert.fail(`${v.label} len ${len} element ${j}: ${avg[j]} vs ${expect[j]}`);
      }
      assert.throws(() => v.k.movingAverage(v.make(3), v.make(4), 4, 0.5, 0.5), /avg: length 3 < required 4/);
    });
  }
});

describe('adamRows', () => {
  for (const v of variants) {
    test(`${v.label}: lazy Adam on the listed rows only (with decay), 3 steps, against float64; refuses a row outside the table`, () => {
      const r = rng(8);
      const lr = 2e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, keep = 1 - 2e-3 * 0.1;
      for (const d of [1, 3, 4, 16, 17]) {
        const rows = 40;
        const len = rows * d;
        const w = randomFill(v.make(len), r), g = v.make(len), m = v.make(len), vv = v.make(len);
        // Rows in memory for the in-memory variants; an ordinary array (copied to scratch) otherwise.
        const list = v.k === wasm && v.label !== 'wasm-foreign' ? wasm.allocInt(rows) : new Int32Array(rows);
        for (let step = 1; step <= 3; step++) {
          randomFill(g, r, 0.2);
          let count = 0;
          for (let row = step % 2; row < rows; row += 2) list[count++] = row; // every other row, alternating
          list[count++] = rows - 1 - (step % 2); // and one of the others, last
          const corr = (lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
          const wantW = Float64Array.from(w), wantM = Float64Array.from(m), wantV = Float64Array.from(vv);
          const scaleW = Float64Array.from(w, Math.abs), scaleM = Float64Array.from(m, Math.abs);
          const listed = new Set(Array.from(list.subarray(0, count)));
          for (const row of listed) {
            for (let i = row * d; i < (row + 1) * d; i++) {
              wantM[i] = b1 * m[i] + (1 - b1) * g[i];
              scaleM[i] = Math.abs(b1 * m[i]) + Math.abs((1 - b1) * g[i]);
              wantV[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i];
              const upd = (corr * wantM[i]) / (Math.sqrt(wantV[i]) + eps);
              wantW[i] = keep * w[i] - upd;
              scaleW[i] = Math.abs(w[i]) + Math.abs(upd);
            }
          }
          const g0 = Array.from(g);
          v.k.adamRows(w, g, m, vv, list, count, d, corr, b1, b2, eps, keep);
          const tag = `${v.label} adamRows d=${d} step=${step}`;
          assertClose(`${tag} m`, m, wantM, scaleM);
          assertClose(`${tag} v`, vv, wantV, Array.from(wantV, Math.abs));
          assertClose(`${tag} w`, w, wantW, scaleW);
          // Unlisted rows keep their exact bits (checked against the float64 copies of their float32 values), g is not zeroed.
          for (let row = 0; row < rows; row++) if (!listed.has(row)) for (let i = row * d; i < (row + 1) * d; i++) assert.ok(w[i] === wantW[i] && m[i] === wantM[i], `${tag}: row ${row} untouched`);
          assert.deepEqual(Array.from(g), g0, `${tag}: g unchanged`);
        }
        list[1] = rows;
        assert.throws(() => v.k.adamRows(w, g, m, vv, list, 3, d, lr, b1, b2, eps, 1), /adamRows: row 40 outside a table of 40 rows/);
        list[1] = -1;
        assert.throws(() => v.k.adamRows(w, g, m, vv, list, 3, d, lr, b1, b2, eps, 1), /outside a table/);
      }
    });
  }
});

describe('scatterAddRows', () => {
  for (const v of variants) {
    test(`${v.label}: sets a row on its first touch of the step, adds after, skips row 0, lists new rows in order; refuses bad ids and a full list`, () => {
      const r = rng(9);
      const inMemory = v.k === wasm && v.label !== 'wasm-foreign';
      const ints = (n: number) => (inMemory ? wasm.allocInt(n) : new Int32Array(n));
      for (const d of [1, 3, 4, 16, 17]) {
        const rows = 30;
        const count = 25;
        const grad = randomFill(v.make(rows * d), r); // stale values of an earlier step
        const stamp = ints(rows), touched = ints(count + 5), state = ints(2);
        state[1] = 7; // step stamp
        stamp[5] = 7; // row 5 already touched this step, with a gradient of 1s
        state[0] = 1;
        touched[0] = 5;
        for (let j = 0; j < d; j++) grad[5 * d + j] = 1;
        const ids = ints(count);
        for (let i = 0; i < count; i++) ids[i] = Math.floor(r() * 8); // many repeats, some 0
        ids[0] = 0;
        ids[1] = 5;
        const src = randomFill(v.make(count * d), r);
        // float32 reference in the same order
        const want = Float32Array.from(grad);
        const seen = new Set([5]);
        const order = [5];
        for (let i = 0; i < count; i++) {
          const row = ids[i];
          if (row === 0) continue;
          for (let j = 0; j < d; j++) want[row * d + j] = seen.has(row) ? want[row * d + j] + src[i * d + j] : src[i * d + j];
          if (!seen.has(row)) order.push(row);
          seen.add(row);
        }
        v.k.scatterAddRows(grad, stamp, touched, state, ids, count, d, src);
        const tag = `${v.label} d=${d}`;
        for (let i = 0; i < rows * d; i++) assert.ok(Object.is(grad[i], want[i]), `${tag} grad[${i}] ${grad[i]} vs ${want[i]}`);
        assert.deepEqual(Array.from(touched.subarray(0, state[0])), order, `${tag}: touched rows in order of first touch`);
        for (const row of order) assert.equal(stamp[row], 7, `${tag}: row ${row} stamped`);
        assert.equal(stamp[0], 0, `${tag}: the padding row is never touched`);
        ids[3] = rows;
        assert.throws(() => v.k.scatterAddRows(grad, stamp, touched, state, ids, count, d, src), /scatterAddRows: row 30 outside a table of 30 rows/);
        ids[3] = 1;
        // The same ids again add to rows already touched: no new row, so a list with no room left is fine.
        const full = touched.subarray(0, state[0]);
        v.k.scatterAddRows(grad, stamp, full, state, ids, count, d, src);
        assert.equal(state[0], order.length, `${tag}: repeats add no row`);
        // A new row with no room left: an error, with state[0] still the rows listed.
        ids[4] = 9;
        assert.throws(() => v.k.scatterAddRows(grad, stamp, full, state, ids, count, d, src), /a step touched more than the \d+ rows its list holds/);
        assert.equal(state[0], order.length, `${tag}: the count stays right`);
      }
    });
  }
});

describe('mixAdd / mixBackward', () => {
  for (const v of variants) {
    test(`${v.label}: one expert's gate-weighted share and its backward, against float64`, () => {
      const r = rng(10);
      for (const [n, K, d] of [[1, 1, 1], [5, 3, 4], [7, 4, 17], [33, 8, 64]]) {
        const g = randomFill(v.make(n * K), r), e = randomFill(v.make(n * d), r), dy = randomFill(v.make(n * d), r);
        for (let k = 0; k < K; k++) {
          const y = randomFill(v.make(n * d), r), de = randomFill(v.make(n * d), r), dg = randomFill(v.make(n * K), r);
          const wantY = Float64Array.from(y), scaleY = Float64Array.from(y, Math.abs);
          const wantDe = Float64Array.from(de), scaleDe = Float64Array.from(de, Math.abs);
          const wantDg = Float64Array.from(dg), scaleDg = Float64Array.from(dg, Math.abs);
          for (let i = 0; i < n; i++) {
            const gk = g[i * K + k];
            for (let j = 0; j < d; j++) {
              wantY[i * d + j] += gk * e[i * d + j];
              scaleY[i * d + j] += Math.abs(gk * e[i * d + j]);
              wantDe[i * d + j] += gk * dy[i * d + j];
              scaleDe[i * d + j] += Math.abs(gk * dy[i * d + j]);
              wantDg[i * K + k] += dy[i * d + j] * e[i * d + j];
              scaleDg[i * K + k] += Math.abs(dy[i * d + j] * e[i * d + j]);
            }
          }
          v.k.mixAdd(y, g, K, k, e, n, d);
          v.k.mixBackward(dy, g, K, k, e, n, d, de, dg);
          const tag = `${v.label} n=${n} K=${K} d=${d} k=${k}`;
          assertClose(`${tag} y`, y, wantY, scaleY);
          assertClose(`${tag} de`, de, wantDe, scaleDe);
          assertClose(`${tag} dg`, dg, wantDg, scaleDg);
        }
        assert.throws(() => v.k.mixAdd(v.make(n * d), g, K, K, e, n, d), /mix: expert/);
      }
    });
  }
});

describe('dotInteraction / dotInteractionBackward', () => {
  for (const v of variants) {
    test(`${v.label}: pairwise dots of field vectors and their backward, against float64`, () => {
      const r = rng(11);
      // F = 1 (no pairs), F below and above the 4-partner blocks, widths with and without a tail of d % 4.
      for (const [n, F, d] of [[1, 1, 4], [2, 2, 1], [3, 5, 4], [4, 7, 6], [5, 22, 16], [2, 9, 19]]) {
        const P = (F * (F - 1)) / 2;
        const x = randomFill(v.make(n * F * d), r), dy = randomFill(v.make(n * P), r);
        // Some zero gradients: the kernels skip them, which must not change the result.
        for (let i = 0; i < dy.length; i += 3) dy[i] = 0;
        const out = randomFill(v.make(n * P), r), dx = randomFill(v.make(n * F * d), r);
        const want = new Float64Array(n * P), scale = new Float64Array(n * P);
        const wantDx = Float64Array.from(dx), scaleDx = Float64Array.from(dx, Math.abs);
        for (let row = 0; row < n; row++) {
          let p = row * P;
          for (let i = 0; i < F; i++) {
            for (let j = i + 1; j < F; j++, p++) {
              for (let k = 0; k < d; k++) {
                const a = row * F * d + i * d + k, b = row * F * d + j * d + k;
                want[p] += x[a] * x[b];
                scale[p] += Math.abs(x[a] * x[b]);
                wantDx[a] += dy[p] * x[b];
                scaleDx[a] += Math.abs(dy[p] * x[b]);
                wantDx[b] += dy[p] * x[a];
                scaleDx[b] += Math.abs(dy[p] * x[a]);
              }
            }
          }
        }
        v.k.dotInteraction(x, n, F, d, out);
        v.k.dotInteractionBackward(x, dy, n, F, d, dx);
        const tag = `${v.label} n=${n} F=${F} d=${d}`;
        assertClose(`${tag} out`, out, want, scale);
        assertClose(`${tag} dx`, dx, wantDx, scaleDx);
        if (P > 0) assert.throws(() => v.k.dotInteraction(x, n, F, d, v.make(n * P - 1)), /kernel operand out: length/);
        assert.throws(() => v.k.dotInteractionBackward(x, dy, n, F, d, v.make(n * F * d - 1)), /kernel operand dx: length/);
      }
    });
  }
});

// ---- implementations agree ------------------------------------------------------------------

test('js and wasm-simd agree on a layer forward/backward sequence', () => {
  const [B, I, O] = [512, 132, 64];
  const run = (k: Kernels) => {
    const rr = rng(42);
    const x = randomFill(k.alloc(B * I), rr), w = randomFill(k.alloc(I * O), rr, 0.2), bias = randomFill(k.alloc(O), rr);
    const y = k.alloc(B * O), dy = randomFill(k.alloc(B * O), rr), dx = k.alloc(B * I), dw = k.alloc(I * O), db = k.alloc(O);
    k.gemm(false, false, B, O, I, x, w, y, false);
    k.addBias(y, bias, B, O);
    k.relu(y, y, B * O);
    k.reluBackward(dy, y, dy, B * O);
    k.gemm(false, true, B, I, O, dy, w, dx, false);
    k.gemm(true, false, I, O, B, x, dy, dw, true);
    k.colSum(dy, B, O, db, true);
    return { y: Array.from(y), dx: Array.from(dx), dw: Array.from(dw), db: Array.from(db) };
  };
  const a = run(js), b = run(wasm);
  for (const key of ['y', 'dx', 'dw', 'db'] as const) {
    const floor = 1e-2 * a[key].reduce((mx, e) => Math.max(mx, Math.abs(e)), 0);
    const scale = a[key].map((e) => Math.abs(e) + floor);
    assertClose(`agree ${key}`, b[key], a[key], scale);
  }
});

test('createKernels picks wasm-simd when supported and js on request', async () => {
  assert.equal(wasmSimdSupported(), true);
  assert.equal(preferredBuild(), 'relaxed-simd');
  assert.equal(wasm.build, 'relaxed-simd');
  assert.equal(wasmPlain.build, 'simd');
  assert.equal((await createKernels()).name, 'wasm-simd');
  assert.equal((await createKernels('auto')).name, 'wasm-simd');
  assert.equal((await createKernels('wasm-simd')).name, 'wasm-simd');
  assert.equal((await createKernels('js')).name, 'js');
});

test('the relaxed build fuses the multiply-add of its products (one rounding) where the CPU has FMA; the plain build rounds twice', () => {
  // a = b = 1 + 2^-12: a*b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in float32, so a*b + c with
  // c = -(1 + 2^-11) is 0 when the product is rounded first and 2^-24 when fused.
  const x = 1 + 2 ** -12, c0 = -(1 + 2 ** -11);
  const fma = /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  for (const [k, want] of [[wasmPlain, 0], [wasm, fma ? 2 ** -24 : 0]] as const) {
    // 4 x 8 x 1: the register-blocked kernel of the engine's dense layers.
    const a = k.alloc(4).fill(x), b = k.alloc(8).fill(x), c = k.alloc(32).fill(c0);
    k.gemm(false, false, 4, 8, 1, a, b, c, true);
    assert.deepEqual([...new Set(c)], [want], `${k.build}: ${[...new Set(c)]}`);
  }
});

// ---- wasm memory model ----------------------------------------------------------------------

describe('wasm memory', () => {
  test('allocations are zeroed, 64-byte aligned, above page 0 and disjoint', async () => {
    const k = await createWasmKernels();
    const spans: [number, number][] = [];
    for (const len of [0, 1, 3, 16, 17, 1000, 5]) {
      const a = k.alloc(len);
      const b = k.allocInt(len);
      for (const v of [a, b]) {
        assert.equal(v.length, len);
        assert.equal(v.byteOffset % 64, 0);
        assert.ok(v.byteOffset >= 65536);
        assert.ok(v.every((e) => e === 0));
        assert.ok(k.addressOf(v) === v.byteOffset);
        spans.push([v.byteOffset, v.byteOffset + v.byteLength]);
      }
      a.fill(1);
      b.fill(-1);
    }
    spans.sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], 'overlap');
    assert.equal(k.addressOf(new Float32Array(4)), -1);
  });

  test('fallbackCopies counts only calls with operands outside the memory', async () => {
    const k = await createWasmKernels();
    const x = k.alloc(8), y = k.alloc(8);
    k.relu(x, y, 8);
    k.gemm(false, true, 2, 2, 4, x, y, k.alloc(4), false);
    assert.equal(k.fallbackCopies, 0);
    k.relu(new Float32Array(8), y, 8);
    k.gemm(false, false, 2, 2, 4, x, new Float32Array(8), k.alloc(4), false);
    assert.equal(k.fallbackCopies, 2);
  });

  test('two instances over one memory share allocations without overlap; growth keeps old views valid', async () => {
    const first = await createWasmKernels({ initialPages: 2 });
    const second = await createWasmKernels({ memory: first.memory });
    assert.equal(second.memory, first.memory);
    const arrs: Float32Array[] = [];
    for (let i = 0; i < 50; i++) arrs.push((i % 2 ? first : second).alloc(1 + ((i * 37) % 300)));
    const spans = arrs.map((a) => [a.byteOffset, a.byteOffset + a.byteLength]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], 'allocations of the two instances overlap');

    // A write through one instance's view is seen by the other, and the other runs kernels on it in place.
    const x = first.alloc(4 * 3);
    x.set([1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]);
    const seen = second.viewF32(x.byteOffset, 12);
    assert.deepEqual(Array.from(seen), Array.from(x));
    assert.equal(second.addressOf(x), x.byteOffset);
    const w = second.alloc(3 * 2);
    w.set([1, 0, 0, 1, 1, 1]);
    const y = second.alloc(4 * 2);
    second.gemm(false, false, 4, 2, 3, x, w, y, false);
    assert.deepEqual(Array.from(y), [4, 1, -10, -1, 16, 1, -22, -1]);
    second.relu(x, x, 12);
    assert.deepEqual(Array.from(x), [1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0]);

    // Grow by a large allocation: earlier views still alias the live memory.
    const before = first.memory.buffer.byteLength;
    const big = second.alloc(20 * 1024 * 1024); // 80 MiB
    assert.ok(first.memory.buffer.byteLength > before);
    assert.ok(x.buffer.byteLength < first.memory.buffer.byteLength, 'old view has the old (shorter) buffer');
    x[0] = 42;
    assert.equal(first.viewF32(x.byteOffset, 1)[0], 42);
    big[big.length - 1] = 3;
    assert.equal(first.viewF32(big.byteOffset, big.length)[big.length - 1], 3);
    first.gemm(false, false, 4, 2, 3, x, w, y, false); // old views still take the in-memory path
    assert.equal(y[0], 42 + 3);
    const after = first.alloc(8);
    assert.ok(after.byteOffset >= big.byteOffset + big.byteLength);
  });

  test('a worker thread instantiates over the same memory: sees parameters, allocates concurrently without overlap', { timeout: 60_000 }, async () => {
    const k = await createWasmKernels();
    const x = k.alloc(8);
    x.set([1, -2, 3, -4, 5, -6, 7, -8]);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const N = 20000;
    // Started from eval'd CommonJS that registers tsx itself (execArgv --import tsx is ignored for workers).
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { register } = await import(workerData.tsxApi);
        register();
        const { createWasmKernels } = await import(workerData.wasmModule);
        const k = await createWasmKernels({ memory: workerData.memory });
        const x = k.viewF32(workerData.x, 8);
        k.relu(x, x, 8);
        parentPort.postMessage({ ready: true, inMemory: k.addressOf(x) === workerData.x });
        Atomics.wait(workerData.flag, 0, 0);
        const offsets = new Float64Array(workerData.n);
        for (let i = 0; i < workerData.n; i++) offsets[i] = k.alloc(1 + (i % 50)).byteOffset;
        parentPort.postMessage({ offsets });
      })().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
    `;
    const worker = new Worker(code, {
      eval: true,
      workerData: {
        memory: k.memory,
        x: x.byteOffset,
        flag,
        n: N,
        tsxApi: pathToFileURL(join(root, 'node_modules/tsx/dist/esm/api/index.mjs')).href,
        wasmModule: pathToFileURL(join(root, 'model/engine/kernels/wasm.ts')).href,
      },
    });
    try {
      const messages: Array<Record<string, unknown>> = [];
      let wake: () => void = () => {};
      worker.on('message', (msg) => {
        messages.push(msg);
        wake();
      });
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      const next = async () => {
        while (!messages.length) await Promise.race([new Promise<void>((res) => (wake = res)), failed]);
        const msg = messages.shift()!;
        if (msg.error) throw new Error(`worker: ${msg.error}`);
        return msg;
      };
      const ready = await next();
      assert.equal(ready.inMemory, true);
      assert.deepEqual(Array.from(x), [1, 0, 3, 0, 5, 0, 7, 0], "worker's relu is visible in the main thread");
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const mine: [number, number][] = [];
      for (let i = 0; i < N; i++) {
        const a = k.alloc(1 + ((i * 7) % 50));
        mine.push([a.byteOffset, a.byteOffset + a.byteLength]);
      }
      const theirs = (await next()).offsets as Float64Array;
      const spans: [number, number][] = [...mine, ...Array.from(theirs, (o, i): [number, number] => [o, o + 4 * (1 + (i % 50))])];
      spans.sort((p, q) => p[0] - q[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], `overlap at ${spans[i][0]}`);
    } finally {
      await worker.terminate();
    }
  });
});

// ---- generated binary -----------------------------------------------------------------------

test('committed simd-wasm.generated.ts is byte-identical to a fresh build of the AssemblyScript source', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kernels-build-'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts/build-kernels.mjs'), '--out', dir], { cwd: root, stdio: 'pipe' });
    const fresh = readFileSync(join(dir, 'simd-wasm.generated.ts'));
    const committed = readFileSync(join(root, 'model/engine/kernels/simd-wasm.generated.ts'));
    assert.ok(fresh.equals(committed), 'model/engine/kernels/simd-wasm.generated.ts is stale: run `npm run build:kernels`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

