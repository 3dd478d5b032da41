// Part "export": an experiment on the export side, kept so that the figures of
// docs/performance.md ("Export-side experiment") can be reproduced. The exporter has since
// adopted the fusion (model/onnx/first-layer.ts), so on today's exports it finds nothing left
// to fuse; `npm run export`'s per-row, unfused form (writer option fuse: false) shows the old case:
// the fp32 graph rewritten here (model/onnx is not changed) with the first layers of the experts
// and gates fused into one MatMul + Split, and/or the gate mix as Mul + ReduceSum instead of a
// batched MatMul, timed interleaved in onnxruntime-web and onnxruntime-node against the graph
// as exported, with the largest output difference.

import { onnx } from '../../model/onnx/proto.ts';
import { loadOrt } from '../../model/onnx/run.ts';
import { pairedRatio, timeInterleaved } from '../bench/timing.ts';
import { f3, type ProfileRun } from './context.ts';
import { maxOutputDiff, requestFeeds, type Ort } from './ort.ts';

/** The fp32 graph with export-side changes, for the experiment (model/onnx is not changed). */
export function rewriteGraph(fp32: Uint8Array, opts: { fuseFirstLayer: boolean; gateMulSum: boolean }): Uint8Array {
  const m: any = onnx.ModelProto.decode(fp32);
  const g = m.graph;
  const inits = new Map<string, any>(g.initializer.map((t: any) => [t.name, t]));
  const producer = new Map<string, any>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const consumers = (name: string) => g.node.filter((n: any) => n.input.includes(name));
  const f32 = (t: any) => new Float32Array(t.rawData.slice().buffer);
  const mk = (name: string, dims: number[], data: Float32Array | BigInt64Array, type = 1) => ({ name, dataType: type, dims, rawData: new Uint8Array(data.buffer.slice(0)) });
  const removed = new Set<any>();
  const added: { before: any; nodes: any[] }[] = [];
  if (opts.fuseFirstLayer) {
    // Every MatMul(x, W) + Add(., b) whose x is the same tensor and W, b constants: one
    // MatMul(x, [W1 | W2 | ...]) + Add(., [b1 | b2 | ...]) + Split into the original outputs.
    const groups = new Map<string, { mm: any; add: any; w: any; b: any }[]>();
    for (const n of g.node) {
      if (n.opType !== 'MatMul' || !inits.has(n.input[1])) continue;
      const w = inits.get(n.input[1]);
      if (w.dims.length !== 2) continue;
      const cs = consumers(n.output[0]);
      if (cs.length !== 1 || cs[0].opType !== 'Add' || !inits.has(cs[0].input[1])) continue;
      const list = groups.get(n.input[0]) ?? [];
      list.push({ mm: n, add: cs[0], w, b: inits.get(cs[0].input[1]) });
      groups.set(n.input[0], list);
    }
    let gi = 0;
    for (const [x, list] of groups) {
      if (list.length < 2) continue;
      const K = Number(list[0].w.dims[0]);
      const widths = list.map((e) => Number(e.w.dims[1]));
      const N = widths.reduce((a, b) => a + b, 0);
      const W = new Float32Array(K * N);
      const B = new Float32Array(N);
      let off = 0;
      for (const e of list) {
        const w = f32(e.w);
        const b = f32(e.b);
        const n = Number(e.w.dims[1]);
        for (let k = 0; k < K; k++) for (let j = 0; j < n; j++) W[k * N + off + j] = w[k * n + j];
        B.set(b, off);
        off += n;
      }
      const p = `fused${gi++}`;
      g.initializer.push(mk(`${p}.w`, [K, N], W), mk(`${p}.b`, [N], B), mk(`${p}.split`, [widths.length], BigInt64Array.from(widths, BigInt), 7));
      for (const e of list) removed.add(e.mm).add(e.add);
      added.push({
        before: list[0].mm,
        nodes: [
          { opType: 'MatMul', name: `${p}_mm`, input: [x, `${p}.w`], output: [`${p}_mm_out`] },
          { opType: 'Add', name: `${p}_add`, input: [`${p}_mm_out`, `${p}.b`], output: [`${p}_add_out`] },
          { opType: 'Split', name: `${p}_split`, input: [`${p}_add_out`, `${p}.split`], output: list.map((e) => e.add.output[0]), attribute: [{ name: 'axis', type: 2, i: 1 }] },
        ],
      });
    }
  }
  if (opts.gateMulSum) {
    // MatMul(Unsqueeze(gate, [1]) [N,1,E], experts [N,E,D]) -> Squeeze(., [1]) [N,D] becomes
    // ReduceSum(Mul(Unsqueeze(gate, [2]) [N,E,1], experts), [1], keepdims=0).
    g.initializer.push(mk('i64_2_profile', [1], BigInt64Array.from([2n]), 7));
    for (const n of [...g.node]) {
      if (n.opType !== 'MatMul' || inits.has(n.input[1])) continue;
      const un = producer.get(n.input[0]);
      if (!un || un.opType !== 'Unsqueeze') continue;
      const cs = consumers(n.output[0]);
      if (cs.length !== 1 || cs[0].opType !== 'Squeeze') continue;
      const sq = cs[0];
      removed.add(n).add(sq);
      const p = `${n.name}_gms`;
      added.push({
        before: n,
        nodes: [
          { opType: 'Unsqueeze', name: `${p}_u`, input: [un.input[0], 'i64_2_profile'], output: [`${p}_u_out`] },
          { opType: 'Mul', name: `${p}_mul`, input: [`${p}_u_out`, n.input[1]], output: [`${p}_mul_out`] },
          { opType: 'ReduceSum', name: `${p}_sum`, input: [`${p}_mul_out`, un.input[1]], output: [sq.output[0]], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
        ],
      });
    }
  }
  const nodes: any[] = [];
  for (const n of g.node) {
    for (const a of added) if (a.before === n) nodes.push(...a.nodes);
    if (!removed.has(n)) nodes.push(n);
  }
  g.node = nodes;
  return onnx.ModelProto.encode(m).finish();
}

export async function exportExperimentPart(run: ProfileRun): Promise<void> {
  const { bm, sizes, quick, lines, summary } = run;
  const ortNode: Ort = await loadOrt('node');
  // onnxruntime-web configured by the worker's own loader (functions/ort.ts: 1 thread, the
  // precompiled module), as the ort part runs it.
  const workerOrt = await import('../../functions/ort.ts' as string);
  const probe = await workerOrt.createSession(bm.int8);
  const inputNames: readonly string[] = probe.inputNames;
  await probe.release();
  const ortWeb: Ort = await import('onnxruntime-web/wasm' as string);
  const reps = quick ? 9 : 31;
  const target = quick ? 10 : 15;
  lines.push('', 'export: export-side experiment (graph rewritten here, fp32; int8 runs the same float graph after folding; (x) = per-round ratio to the graph as exported)');
  for (const n of sizes) {
    const fw = requestFeeds(ortWeb, run, n, inputNames);
    const fn = requestFeeds(ortNode, run, n, inputNames);
    const exps: Record<string, Uint8Array> = {
      'fp32 as exported': bm.fp32,
      'experts + gates first layer fused': rewriteGraph(bm.fp32, { fuseFirstLayer: true, gateMulSum: false }),
      'gate mix as Mul + ReduceSum': rewriteGraph(bm.fp32, { fuseFirstLayer: false, gateMulSum: true }),
      'both': rewriteGraph(bm.fp32, { fuseFirstLayer: true, gateMulSum: true }),
    };
    const es: Record<string, () => Promise<unknown>> = {};
    const refs: Record<string, any> = {};
    const diffs: Record<string, number> = {};
    const hold: any[] = [];
    for (const [k, bytes] of Object.entries(exps)) {
      const sw = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const sn = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      hold.push(sw, sn);
      es[`web|${k}`] = () => sw.run(fw);
      es[`native|${k}`] = () => sn.run(fn);
      refs[k] = await sw.run(fw);
      diffs[k] = maxOutputDiff(refs['fp32 as exported'], refs[k]);
    }
    const et = await timeInterleaved(es, reps, target);
    for (const x of hold) await x.release();
    lines.push(`  n=${n}:`);
    for (const k of Object.keys(exps)) {
      const base = 'fp32 as exported';
      lines.push(
        `    ${k.padEnd(36)} web ${f3(et[`web|${k}`].median).padStart(6)} (${pairedRatio(et[`web|${k}`], et[`web|${base}`]).toFixed(3)}x)  native ${f3(et[`native|${k}`].median).padStart(6)} (${pairedRatio(et[`native|${k}`], et[`native|${base}`]).toFixed(3)}x)  web/native ${pairedRatio(et[`web|${k}`], et[`native|${k}`]).toFixed(2)}x  max|diff| ${diffs[k].toExponential(1)}`,
      );
    }
    summary[`ort.n${n}.export_experiment`] = { times: et, diffs };
  }
}
