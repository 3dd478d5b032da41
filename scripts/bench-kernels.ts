// GFLOP/s of the js and wasm-simd kernels on the engine's hot gemm shapes (batch m = 512).
// For a dense layer [in -> out] the engine calls:
//   NN  forward          Y[512,out]  = X[512,in] · W[in,out]          (m=512, k=in,  n=out)
//   NT  input gradient   dX[512,in]  = dY[512,out] · W[in,out]ᵀ       (m=512, k=out, n=in)
//   TN  weight gradient  dW[in,out] += X[512,in]ᵀ · dY[512,out]       (m=in,  k=512, n=out)
// All three cost 2·512·in·out flops. Medians over repeats; run on a quiet machine.
//
//   node --import tsx scripts/bench-kernels.ts [--quick] [--impl js|wasm-simd]

import { loadavg, cpus } from 'node:os';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import type { Kernels } from '../model/engine/kernels/types.ts';
import { createWasmKernels } from '../model/engine/kernels/wasm.ts';
import { summarize } from './bench/stats.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--impl') ? args[args.indexOf('--impl') + 1] : undefined;
const REPEATS = quick ? 5 : 15;
const TARGET_MS = quick ? 10 : 25;
const BATCH = 512;
const LAYERS: [number, number][] = [
  [132, 64],
  [64, 32],
  [32, 16],
  [16, 1],
  [16, 8],
  [8, 4],
  [132, 4],
];
type Mode = 'NN' | 'NT' | 'TN';

function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296 - 0.5) * 2;
  }
}

function benchGemm(kern: Kernels, mode: Mode, inDim: number, outDim: number): number {
  const [m, k, n] = mode === 'NN' ? [BATCH, inDim, outDim] : mode === 'NT' ? [BATCH, outDim, inDim] : [inDim, BATCH, outDim];
  const tA = mode === 'TN', tB = mode === 'NT';
  const a = kern.alloc(m * k), b = kern.alloc(k * n), c = kern.alloc(m * n);
  fill(a, 1);
  fill(b, 2);
  const flops = 2 * m * n * k;
  const acc = mode === 'TN';
  const run = (iters: number) => {
    for (let i = 0; i < iters; i++) kern.gemm(tA, tB, m, n, k, a, b, c, acc);
  };
  // Warm up (lets V8 tier the wasm / JS up to the optimising compiler), then size the batch of calls.
  let iters = 1;
  for (;;) {
    const t0 = performance.now();
    run(iters);
    const dt = performance.now() - t0;
    if (dt > TARGET_MS / 2) {
      iters = Math.max(1, Math.round((iters * TARGET_MS) / dt));
      break;
    }
    iters *= 2;
  }
  run(iters);
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    run(iters);
    const dt = (performance.now() - t0) / 1000;
    rates.push((flops * iters) / dt / 1e9);
  }
  return summarize(rates).median;
}

function benchElementwise(kern: Kernels): Record<string, number> {
  const len = 512 * 132;
  const x = kern.alloc(len), y = kern.alloc(len), g = kern.alloc(len), mm = kern.alloc(len), vv = kern.alloc(len);
  fill(x, 3);
  fill(g, 4);
  const time = (f: () => void) => {
    for (let i = 0; i < 50; i++) f();
    const rates: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) f();
      rates.push((len * 100) / ((performance.now() - t0) / 1000) / 1e9);
    }
    return summarize(rates).median;
  };
  return {
    relu: time(() => kern.relu(x, y, len)),
    reluBackward: time(() => kern.reluBackward(g, y, mm, len)),
    addBias: time(() => kern.addBias(y, g, 512, 132)),
    colSum: time(() => kern.colSum(g, 512, 132, mm, false)),
    adam: time(() => kern.adam(x, g, mm, vv, len, 1e-3, 0.9, 0.999, 1e-8)),
  };
}

const impls: Kernels[] = [];
if (!only || only === 'js') impls.push(createJsKernels());
if (!only || only === 'wasm-simd') impls.push(await createWasmKernels());

const load = loadavg()[0];
console.log(`# ${cpus()[0]?.model ?? 'cpu'}; node ${process.version}; load average ${load.toFixed(2)} on ${cpus().length} cores${load > 0.5 ? '  (LOADED: figures unreliable)' : ''}`);
console.log(`# gemm GFLOP/s, median of ${REPEATS} repeats (${TARGET_MS} ms each); layer in->out at batch ${BATCH}\n`);
const header = ['layer', 'op', 'm', 'n', 'k', ...impls.map((k) => k.name)];
const rows: string[][] = [];
for (const [inDim, outDim] of LAYERS) {
  for (const mode of ['NN', 'NT', 'TN'] as Mode[]) {
    const [m, k, n] = mode === 'NN' ? [BATCH, inDim, outDim] : mode === 'NT' ? [BATCH, outDim, inDim] : [inDim, BATCH, outDim];
    rows.push([`${inDim}x${outDim}`, mode, String(m), String(n), String(k), ...impls.map((kern) => benchGemm(kern, mode, inDim, outDim).toFixed(2))]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => '| ' + r.map((c, i) => c.padStart(widths[i])).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));

console.log(`\n# element-wise kernels, G elements/s on ${512 * 132} elements\n`);
const ew = impls.map((k) => benchElementwise(k));
const ewHeader = ['kernel', ...impls.map((k) => k.name)];
const ewRows = Object.keys(ew[0]).map((nm) => [nm, ...ew.map((e) => e[nm].toFixed(2))]);
const ewW = ewHeader.map((h, i) => Math.max(h.length, ...ewRows.map((r) => r[i].length)));
const ewLine = (r: string[]) => '| ' + r.map((c, i) => (i ? c.padStart(ewW[i]) : c.padEnd(ewW[i]))).join(' | ') + ' |';
console.log(ewLine(ewHeader));
console.log('|' + ewW.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of ewRows) console.log(ewLine(r));
