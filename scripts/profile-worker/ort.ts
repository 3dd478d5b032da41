// Part "ort": inference alone, onnxruntime-web (wasm) vs onnxruntime-node (native, 1 thread):
// the warm-up curve of a fresh wasm instance; the worker's session vs native, interleaved; a
// CPU profile of session.run (JS glue vs wasm); native per-node profile (enableProfiling) and
// a per-node cost model from one-node models (fixed cost per run, per node, MatMul kernels);
// session-option variants timed interleaved.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocBatch } from '../../model/features/encode.ts';
import { SESSION_EXTRA } from '../../model/onnx/inputs.ts';
import { onnx } from '../../model/onnx/proto.ts';
import { feedsOf as runFeeds, loadOrt } from '../../model/onnx/run.ts';
import type { BenchModel } from '../bench/model.ts';
import { encodeRequest } from '../bench/requests.ts';
import { summarize } from '../bench/stats.ts';
import { pairedDiff, pairedRatio, timeInterleaved } from '../bench/timing.ts';
import { profileNode, wasmSplit } from './attribution.ts';
import { f3, log, pct, type ProfileRun } from './context.ts';

export type Ort = any;
type OnnxModel = any;

const ELEM: Record<string, number> = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 };

interface NodeEvent {
  name: string;
  op: string;
  dur: number;
  inputs: Record<string, number[]>[];
  outputs: Record<string, number[]>[];
}

/** Native per-node profile: onnxruntime-node's enableProfiling over `runs` runs after a warm-up. */
async function nativeNodeProfile(ortNode: Ort, model: Uint8Array, feeds: Record<string, unknown>, runs: number, prefix: string) {
  const s = await ortNode.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: prefix, extra: SESSION_EXTRA });
  const warm = 50;
  for (let i = 0; i < warm + runs; i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
  const { readdirSync } = await import('node:fs');
  const dir = prefix.slice(0, prefix.lastIndexOf('/'));
  const base = prefix.slice(prefix.lastIndexOf('/') + 1);
  const file = readdirSync(dir).filter((f) => f.startsWith(base + '_') && f.endsWith('.json')).sort().pop();
  if (!file) throw new Error('onnxruntime-node wrote no profile');
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; ts: number; args: Record<string, any> }[];
  const runsEv = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const after = runsEv[warm - 1].ts + runsEv[warm - 1].dur;
  const timed = runsEv.filter((e) => e.ts > after);
  const nodes = new Map<string, NodeEvent>();
  for (const e of events) {
    if (e.cat !== 'Node' || e.ts <= after || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const n = nodes.get(name) ?? { name, op: e.args.op_name, dur: 0, inputs: e.args.input_type_shape, outputs: e.args.output_type_shape };
    n.dur += e.dur / timed.length;
    nodes.set(name, n);
  }
  return { file: join(dir, file), runUs: summarize(timed.map((e) => e.dur)).median, nodes: [...nodes.values()] };
}

/** The graph as onnxruntime-node optimises it (level all, the worker's session config). */
async function optimizedGraph(ortNode: Ort, model: Uint8Array, path: string): Promise<OnnxModel> {
  const s = await ortNode.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', optimizedModelFilePath: path, logSeverityLevel: 3, extra: SESSION_EXTRA });
  await s.release();
  return onnx.ModelProto.decode(readFileSync(path));
}

/** A model holding one node of `m` (its constant inputs as initializers), with the shapes of a profile event. */
async function singleNodeModel(m: OnnxModel, node: any, ev: NodeEvent): Promise<{ bytes: Uint8Array; inputs: { name: string; type: string; dims: number[] }[] } | null> {
  const inits = new Map<string, any>(m.graph.initializer.map((t: any) => [t.name, t]));
  const graphInputs: { name: string; type: string; dims: number[] }[] = [];
  const initializer: any[] = [];
  const seen = new Set<string>();
  node.input.forEach((name: string, i: number) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    if (inits.has(name)) initializer.push(inits.get(name));
    else {
      const ts = ev.inputs[i];
      if (!ts) return;
      const [type, dims] = Object.entries(ts)[0];
      graphInputs.push({ name, type, dims });
    }
  });
  if (graphInputs.length === 0) return null;
  const vi = (name: string, type: string, dims?: number[]) => ({
    name,
    type: { tensorType: { elemType: ELEM[type], ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
  });
  const outputs = node.output.map((name: string, i: number) => vi(name, Object.keys(ev.outputs[i] ?? { float: [] })[0]));
  const model = {
    irVersion: m.irVersion,
    opsetImport: m.opsetImport,
    producerName: 'profile-worker',
    graph: { name: 'one', node: [node], initializer, input: graphInputs.map((x) => vi(x.name, x.type, x.dims)), output: outputs },
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish(), inputs: graphInputs };
}

function randomFeeds(ortLib: Ort, inputs: { name: string; type: string; dims: number[] }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const x of inputs) {
    const size = x.dims.reduce((a, b) => a * b, 1);
    let data: ArrayBufferView;
    if (x.type === 'float') data = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    else if (x.type === 'int32') data = new Int32Array(size);
    else if (x.type === 'int64') data = new BigInt64Array(size);
    else if (x.type === 'bool') data = new Uint8Array(size);
    else if (x.type === 'int8') data = new Int8Array(size);
    else if (x.type === 'float16') data = new Uint16Array(size).fill(0x3c00); // 1.0
    else throw new Error(`no random data for ${x.type}`);
    out[x.name] = new ortLib.Tensor(x.type === 'float' ? 'float32' : x.type, data, x.dims);
  }
  return out;
}

/**
 * The model's input tensors for the POST /v1/score body of n candidates, in runtime `lib`;
 * `inputNames` (the session's) add the request-level inputs of a request-shared export.
 */
export function requestFeeds(lib: Ort, run: ProfileRun, n: number, inputNames: readonly string[]): Record<string, unknown> {
  const batch = encodeRequest(run.bm.manifest, run.bm.layout, JSON.parse(run.bodies.get(n)!));
  return runFeeds(lib, run.bm.layout, batch, 0, batch.n, inputNames);
}

/** Largest absolute difference between two runs' outputs. */
export function maxOutputDiff(a: Record<string, any>, b: Record<string, any>): number {
  let d = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].data.length; i++) d = Math.max(d, Math.abs(a[k].data[i] - b[k].data[i]));
  return d;
}

export async function ortPart(run: ProfileRun, fresh: boolean): Promise<void> {
  const { bm, sizes, interval, quick, outDir, lines, summary } = run;
  const ortNode: Ort = await loadOrt('node');
  // The worker's own loader (functions/ort.ts: onnxruntime-web/wasm, the precompiled module,
  // 1 thread, SESSION_EXTRA, level all), and the same onnxruntime-web instance for variants.
  const workerOrt = await import('../../functions/ort.ts' as string);
  // Many short rounds, every variant once per round, and ratios paired by round: load from
  // other processes comes in bursts of seconds, which then hit all variants alike.
  const reps = quick ? 9 : 31;
  const target = quick ? 10 : 15;
  const int8 = bm.int8;
  const first = await workerOrt.createSession(int8);
  {
    // As ModelHost.load: one warm-up row.
    const ortW: Ort = await import('onnxruntime-web/wasm' as string);
    await first.run(runFeeds(ortW, bm.layout, allocBatch(bm.layout, 1), 0, 1, first.inputNames));
  }
  const ortWeb: Ort = await import('onnxruntime-web/wasm' as string);
  {
    // A fresh wasm instance runs its baseline (Liftoff) code until V8 has tiered the hot
    // functions up; measured only after that (several seconds of runs on a loaded machine).
    const f = requestFeeds(ortWeb, run, sizes[0], first.inputNames);
    const t0 = performance.now();
    const runs: { at: number; ms: number }[] = [];
    while (performance.now() - t0 < (quick ? 3000 : 6000)) {
      const a = performance.now();
      await first.run(f);
      runs.push({ at: a - t0, ms: performance.now() - a });
    }
    const windows = [0, 250, 500, 1000, 2000, 4000, 6000].filter((w) => w < (quick ? 3000 : 6000));
    const curve = windows.map((w, i) => {
      const end = windows[i + 1] ?? Infinity;
      const xs = runs.filter((r) => r.at >= w && r.at < end).map((r) => r.ms);
      return { from: w, runs: xs.length, median: xs.length ? summarize(xs).median : NaN };
    });
    lines.push('', `ort: ${fresh ? 'a fresh' : 'the (already used: --parts node ran first)'} onnxruntime-web instance (the worker's loader), n=${sizes[0]}: first run ${f3(runs[0].ms)} ms (session already warmed by one run), then ms per run, median by time since start:`);
    lines.push(`  ${curve.map((c) => `${c.from / 1000}s: ${f3(c.median)} (${c.runs} runs)`).join(', ')}`);
    summary['ort.warmup_curve'] = curve;
  }
  const feedsFor = (lib: Ort, n: number) => requestFeeds(lib, run, n, first.inputNames);

  lines.push('', 'ort: inference alone (int8 model, 1 thread), ms per session.run, medians');
  for (const n of sizes) {
    const fw = feedsFor(ortWeb, n);
    const fn = feedsFor(ortNode, n);
    // (1) The worker's session vs native, interleaved.
    const native = await ortNode.InferenceSession.create(int8, { intraOpNumThreads: 1, interOpNumThreads: 1, extra: SESSION_EXTRA });
    const t = await timeInterleaved({ native: () => native.run(fn), web: () => first.run(fw) }, reps, target);
    lines.push(`  n=${n}: native ${f3(t.native.median)}  web (the worker's session) ${f3(t.web.median)}  web/native ${pairedRatio(t.web, t.native).toFixed(2)}x (median of per-round ratios)`);
    summary[`ort.n${n}.native_ms`] = t.native.median;
    summary[`ort.n${n}.web_ms`] = t.web.median;

    // (2) CPU profile of the worker's session.run in a loop: JS glue vs wasm.
    const runs = Math.max(200, Math.round((quick ? 2000 : 6000) / Math.max(1, n / 100) / 10));
    const { profile } = await profileNode(interval, async () => {
      for (let i = 0; i < runs; i++) await first.run(fw);
    });
    writeFileSync(join(outDir, `ort-web-n${n}.cpuprofile`), JSON.stringify(profile));
    const split = wasmSplit(profile);
    lines.push(`    web CPU profile (${runs} runs): ${f3(split.totalMs / runs)} ms per run = wasm ${pct(split.wasm / split.totalMs)}, JS glue (onnxruntime-web + emscripten) ${pct(split.js / split.totalMs)}, wasm<->JS transitions ${pct(split.transitions / split.totalMs)}, GC ${pct(split.gc / split.totalMs)}, other ${pct(split.other / split.totalMs)}`);
    lines.push(`      top wasm functions (no names in the release build): ${split.topWasm.slice(0, 6).map(([f, ms]) => `${f.replace('wasm-function', 'f')} ${pct(ms / split.totalMs)}`).join(', ')}`);
    summary[`ort.n${n}.web_profile`] = { ...split, runs };

    // (3) Native per-node profile, and the same nodes one by one in both runtimes.
    const prof = await nativeNodeProfile(ortNode, int8, fn, quick ? 100 : 300, join(outDir, `ort-native-n${n}`));
    const opt = await optimizedGraph(ortNode, int8, join(outDir, `optimized-n${n}.onnx`));
    const byName = new Map(prof.nodes.map((x) => [x.name, x]));
    const identity = await singleNodeModel(
      { irVersion: opt.irVersion, opsetImport: opt.opsetImport, graph: { initializer: [] } },
      { opType: 'Identity', name: 'id', input: ['x'], output: ['y'] },
      { name: 'id', op: 'Identity', dur: 0, inputs: [{ float: [1, 1] }], outputs: [{ float: [1, 1] }] },
    );
    type Row = { name: string; op: string; nativeProfUs: number; webMs: number; nativeMs: number; shape: string };
    const rows: Row[] = [];
    const runners: Record<string, () => Promise<unknown>> = {};
    const sessions: any[] = [];
    const addRunner = async (key: string, bytes: Uint8Array, inputs: { name: string; type: string; dims: number[] }[]) => {
      const sw = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
      const sn = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
      sessions.push(sw, sn);
      const w = randomFeeds(ortWeb, inputs);
      const nf = randomFeeds(ortNode, inputs);
      runners[`web|${key}`] = () => sw.run(w);
      runners[`native|${key}`] = () => sn.run(nf);
    };
    await addRunner('(identity)', identity!.bytes, identity!.inputs);
    for (const node of opt.graph.node) {
      const ev = byName.get(node.name);
      if (!ev) continue;
      const one = await singleNodeModel(opt, node, ev);
      if (!one) continue;
      try {
        await addRunner(node.name, one.bytes, one.inputs);
        rows.push({ name: node.name, op: (node.domain ? `${node.domain}.` : '') + node.opType, nativeProfUs: ev.dur, webMs: 0, nativeMs: 0, shape: one.inputs.map((x) => `[${x.dims.join(',')}]`).join(' ') });
      } catch (e) {
        log(`single-node model of ${node.name} (${node.opType}) does not load: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
      }
    }
    log(`ort n=${n}: timing ${rows.length} single-node models in both runtimes`);
    const times = await timeInterleaved(runners, quick ? 7 : 15, quick ? 3 : 5);
    const idW = times['web|(identity)'].median;
    const idN = times['native|(identity)'].median;
    for (const r of rows) {
      r.webMs = Math.max(0, pairedDiff(times[`web|${r.name}`], times['web|(identity)']));
      r.nativeMs = Math.max(0, pairedDiff(times[`native|${r.name}`], times['native|(identity)']));
    }
    const byOp = new Map<string, { count: number; web: number; native: number; prof: number; shapes: Set<string> }>();
    for (const r of rows) {
      const o = byOp.get(r.op) ?? { count: 0, web: 0, native: 0, prof: 0, shapes: new Set<string>() };
      o.count++;
      o.web += r.webMs;
      o.native += r.nativeMs;
      o.prof += r.nativeProfUs / 1000;
      o.shapes.add(r.shape);
      byOp.set(r.op, o);
    }
    // Which wasm functions each of the costliest op types spends its time in (the release
    // build has no names; this ties the anonymous functions of the whole-model profile to ops).
    const wasmOf: Record<string, string> = {};
    for (const [op] of [...byOp].sort((a, b) => b[1].web - a[1].web).slice(0, 5)) {
      const keys = rows.filter((r) => r.op === op).map((r) => `web|${r.name}`);
      const { profile: p1 } = await profileNode(interval, async () => {
        const t1 = performance.now();
        while (performance.now() - t1 < (quick ? 200 : 600)) for (const k of keys) await runners[k]();
      });
      const sp = wasmSplit(p1);
      wasmOf[op] = sp.topWasm.slice(0, 2).map(([f, ms]) => `${f.replace('wasm-function', 'f')} ${pct(ms / sp.totalMs)}`).join(', ');
    }
    for (const sv of sessions) await sv.release();
    const sumW = rows.reduce((a, r) => a + r.webMs, 0);
    const sumN = rows.reduce((a, r) => a + r.nativeMs, 0);
    lines.push(`    native per-node profile (enableProfiling, ${prof.nodes.length} nodes of the optimised graph): model_run ${f3(prof.runUs / 1000)} ms with the profiler on; per node below`);
    lines.push(`    each node alone (its own one-node model, minus an Identity model's run: web ${f3(idW)} / native ${f3(idN)} ms per run):`);
    lines.push(`      ${'op'.padEnd(26)} ${'nodes'.padStart(5)} ${'web ms'.padStart(8)} ${'share'.padStart(6)} ${'native ms'.padStart(9)} ${'ratio'.padStart(6)} ${'native prof ms'.padStart(14)}  shapes`);
    for (const [op, o] of [...byOp].sort((a, b) => b[1].web - a[1].web)) {
      lines.push(`      ${op.padEnd(26)} ${String(o.count).padStart(5)} ${f3(o.web).padStart(8)} ${pct(o.web / sumW).padStart(6)} ${f3(o.native).padStart(9)} ${(o.native > 0.001 ? (o.web / o.native).toFixed(1) : '-').padStart(6)} ${f3(o.prof).padStart(14)}  ${[...o.shapes].slice(0, 3).join('; ')}${wasmOf[op] ? `  (web profile: ${wasmOf[op]})` : ''}`);
    }
    lines.push(`      ${'sum of nodes'.padEnd(26)} ${String(rows.length).padStart(5)} ${f3(sumW).padStart(8)} ${''.padStart(6)} ${f3(sumN).padStart(9)} ${(sumW / Math.max(sumN, 1e-6)).toFixed(1).padStart(6)}`);
    lines.push(`      (+ one run's fixed cost = the Identity model: web ${f3(idW)}, native ${f3(idN)}; whole model: web ${f3(t.web.median)}, native ${f3(t.native.median)})`);
    summary[`ort.n${n}.nodes`] = rows;
    summary[`ort.n${n}.identity`] = { web: idW, native: idN };

    // (4) Session options of the worker's model in onnxruntime-web, interleaved.
    const variants: Record<string, Record<string, unknown>> = {
      'all (the worker)': { graphOptimizationLevel: 'all' },
      'all + cpu arena': { graphOptimizationLevel: 'all', enableCpuMemArena: true },
      'all + mem pattern': { graphOptimizationLevel: 'all', enableMemPattern: true },
      'all + arena + mem pattern': { graphOptimizationLevel: 'all', enableCpuMemArena: true, enableMemPattern: true },
      extended: { graphOptimizationLevel: 'extended' },
      basic: { graphOptimizationLevel: 'basic' },
      'disabled (no graph optimisation)': { graphOptimizationLevel: 'disabled' },
      'all, no prepacking': { graphOptimizationLevel: 'all', extra: { session: { ...SESSION_EXTRA.session, disable_prepacking: '1' } } },
    };
    const vs: Record<string, any> = {};
    for (const [k, o] of Object.entries(variants)) vs[k] = await ortWeb.InferenceSession.create(int8, { executionProviders: ['wasm'], extra: SESSION_EXTRA, ...o });
    const ref = await first.run(fw);
    const vt = await timeInterleaved(Object.fromEntries(Object.entries(vs).map(([k, sv]) => [k, () => sv.run(fw)])), reps, target);
    lines.push(`    onnxruntime-web session options (same int8 model, interleaved; x = median per-round ratio to the worker's options):`);
    for (const [k, sv] of Object.entries(vs)) {
      const d = maxOutputDiff(ref, await sv.run(fw));
      lines.push(`      ${k.padEnd(34)} ${f3(vt[k].median).padStart(7)} ms  ${pairedRatio(vt[k], vt['all (the worker)']).toFixed(3)}x  max|diff| ${d.toExponential(1)}`);
      await sv.release();
    }
    summary[`ort.n${n}.options`] = vt;

    await native.release();
  }
  await first.release();
}
