// CPU profiles (the DevTools protocol's Profiler domain: node:inspector in this process,
// workerd's inspector over a WebSocket in the workerd part) and their attribution to the
// stages of a POST /v1/score. The stage table (STAGES) names functions of functions/ by
// pattern; test/profile-stages.test.ts fails when a pattern no longer matches any of them.

import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { ROOT } from '../build-worker.ts';
import { f3, pct } from './context.ts';
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId: string };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * A stage rule. A frame matches when its function name is one of `fns` (the worker's own
 * functions, declared in functions/ or model/; a bundler may append digits to a name it
 * renamed, e.g. encode2), or matches `fnPattern` (a library's function), and, when given, its
 * URL matches `url`. A sample belongs to the innermost matching frame's stage (the frame
 * nearest the leaf), so e.g. zod code called by validateRequest counts as validation and
 * JSON.parse inside readJsonBody as parse.
 *
 * The names couple this table to the worker's code: some small functions of functions/ exist
 * so that profiles show their stage (functions/body.ts). test/profile-stages.test.ts reads
 * the declared function names from the source and fails when a name here no longer exists.
 */
export interface StageRule {
  stage: string;
  fns?: readonly string[];
  fnPattern?: RegExp;
  url?: RegExp;
}

export const STAGES: readonly StageRule[] = [
  { stage: 'body read, UTF-8 decode, JSON.parse', fns: ['readJsonBody', 'readBodyBytes', 'readLimited', 'decompressLimited', 'parseBody', 'decodeUtf8', 'parseJsonText'] },
  // The fast validator's per-request check is a closure: it counts through validateRequest.
  { stage: 'validation', fns: ['validateRequest', 'issueToError'] },
  { stage: 'settings + candidates', fns: ['rankSettings', 'candidatesOf'] },
  { stage: 'feature encoding', fns: ['encode', 'assembleBatch', 'encodeRowInto', 'encodeSlot', 'rawValueOf'] },
  { stage: 'tensor creation', fns: ['feedsOf'] },
  { stage: 'ranking', fns: ['probabilities', 'rank'] },
  { stage: 'response: JSON.stringify + Response', fns: ['scoreResponse'] },
  { stage: 'response: JSON.stringify + Response', fnPattern: /^json$/, url: /hono/ },
  { stage: 'session.run (ORT)', fns: ['run'], url: /functions\/model/ },
  { stage: 'session.run (ORT)', url: /onnxruntime|functions\/ort|ort-wasm|^wasm:|wasm-function/ },
  { stage: 'handler: headers, Server-Timing, awaits', fns: ['scoreHandler'] },
];

const fnMatchers = new Map(STAGES.map((r) => [r, r.fns ? new RegExp(`^(${r.fns.join('|')})\\d*$`) : r.fnPattern]));

export function frameStage(cf: CpuProfileNode['callFrame']): string | null {
  if (cf.url.startsWith('wasm') || /^wasm-function|^\$?func\d+/.test(cf.functionName)) return 'session.run (ORT)';
  for (const r of STAGES) {
    const fn = fnMatchers.get(r);
    if (fn && !fn.test(cf.functionName)) continue;
    if (r.url && !r.url.test(cf.url)) continue;
    if (!fn && !r.url) continue;
    return r.stage;
  }
  return null;
}

/** Where a sample whose stack matched no stage rule goes: by its leaf. */
function otherStage(leaf: CpuProfileNode['callFrame']): string {
  const fn = leaf.functionName;
  if (fn === '(garbage collector)') return '(garbage collector)';
  if (fn === '(idle)') return '(idle)';
  if (fn === '(program)') return '(program: V8/native, no JS frame)';
  if (/hono/.test(leaf.url)) return 'Hono routing / context';
  if (/zod/.test(leaf.url)) return 'validation';
  if (/^node:|internal\//.test(leaf.url) || leaf.url === '') return 'runtime (streams, Request/Response, promises)';
  return 'other JS';
}

/** The ms sample i stands for: timeDeltas[i] is the time before it, so the interval after it. */
function sampleMs(p: CpuProfile, i: number): number {
  return (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
}

export interface Attribution {
  /** ms of samples per stage (over the whole profile). */
  stages: Record<string, number>;
  /** Self ms per function (name + location), top entries. */
  top: { fn: string; ms: number; via: string }[];
  totalMs: number;
  idleMs: number;
}

export function attribute(p: CpuProfile, topN = 25): Attribution {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const stageFor = (id: number): string => {
    const cached = stageOf.get(id);
    if (cached !== undefined) return cached;
    let s: string | null = null;
    for (let cur: number | undefined = id; cur !== undefined && s === null; cur = parent.get(cur)) s = frameStage(byId.get(cur)!.callFrame);
    const out = s ?? otherStage(byId.get(id)!.callFrame);
    stageOf.set(id, out);
    return out;
  };
  const stages: Record<string, number> = {};
  const self = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  const label = (cf: CpuProfileNode['callFrame']) => `${cf.functionName || '(anonymous)'}${cf.url ? `@${cf.url.replace(/^.*\//, '')}:${cf.lineNumber + 1}` : ''}`;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = sampleMs(p, i);
    const node = byId.get(p.samples[i])!;
    const st = stageFor(node.id);
    if (st === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    stages[st] = (stages[st] ?? 0) + dt;
    const cf = node.callFrame;
    const where = cf.url ? `${cf.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(functions|model|scripts)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    const chain: string[] = [];
    for (let cur = parent.get(node.id); cur !== undefined && chain.length < 4; cur = parent.get(cur)) chain.push(label(byId.get(cur)!.callFrame));
    const m = callers.get(key) ?? new Map<string, number>();
    callers.set(key, m);
    const c = chain.join(' < ');
    m.set(c, (m.get(c) ?? 0) + dt);
  }
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, ms]) => ({ fn, ms, via: [...callers.get(fn)!].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '' }));
  return { stages, top, totalMs: total, idleMs: idle };
}

/**
 * An unminified wrangler bundle (index.js) holds every module in one file, each after a
 * `// path` comment line (esbuild): rewrite the profile's index.js URLs to those module
 * paths, so the stage rules (by URL: onnxruntime-web, hono, zod) apply as in Node.
 */
export function remapBundleUrls(p: CpuProfile, bundleJs: string): void {
  const starts: { line: number; path: string }[] = [];
  readFileSync(bundleJs, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ (\S+\.(?:[cm]?js|ts))$/.exec(text);
      if (!m) return;
      // Paths are relative to the build's staging directory: keep what follows the repository
      // root (or a baseline's export directory, or node_modules/).
      let path = m[1].replace(/^(\.\.\/)+/, '/');
      if (path.startsWith(ROOT + '/')) path = path.slice(ROOT.length + 1);
      path = path.replace(/^.*\/rev-[^/]+\//, '').replace(/^.*\/node_modules\//, 'node_modules/');
      starts.push({ line: i, path });
    });
  for (const n of p.nodes) {
    const cf = n.callFrame;
    if (!cf.url.endsWith('index.js')) continue;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].line <= cf.lineNumber) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0) cf.url = `${starts[found].path}#bundle`;
  }
}

export async function profileNode<T>(interval: number, body: () => Promise<T>): Promise<{ profile: CpuProfile; result: T }> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval });
  await s.post('Profiler.start');
  let result: T;
  try {
    result = await body();
  } finally {
    // (stop below)
  }
  const { profile } = (await s.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  await s.post('Profiler.disable');
  s.disconnect();
  return { profile, result };
}

export function printAttribution(title: string, a: Attribution, requests: number, lines: string[], topN = 15): void {
  lines.push(`  ${title}: ${f3(a.totalMs / requests)} ms of CPU samples per request (${requests} requests; idle excluded)`);
  const rows = Object.entries(a.stages).sort((x, y) => y[1] - x[1]);
  for (const [st, ms] of rows) lines.push(`    ${st.padEnd(48)} ${f3(ms / requests).padStart(7)} ms  ${pct(ms / a.totalMs).padStart(6)}`);
  lines.push(`    top self time:`);
  for (const t of a.top.slice(0, topN)) lines.push(`      ${f3(t.ms / requests).padStart(7)} ms  ${pct(t.ms / a.totalMs).padStart(6)}  ${t.fn.slice(0, 70)}  < ${t.via.slice(0, 150)}`);
}

/** A profile of onnxruntime-web runs split into wasm, JS glue, transitions and GC. */
export function wasmSplit(p: CpuProfile) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  let wasm = 0;
  let js = 0;
  let transitions = 0;
  let gc = 0;
  let other = 0;
  let idle = 0;
  const fns = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = sampleMs(p, i);
    const cf = byId.get(p.samples[i])!.callFrame;
    const fn = cf.functionName;
    if (fn.startsWith('wasm-function')) {
      wasm += dt;
      fns.set(fn, (fns.get(fn) ?? 0) + dt);
    } else if (/^(wasm-to-js|js-to-wasm)/.test(fn)) transitions += dt;
    else if (fn === '(garbage collector)') gc += dt;
    else if (fn === '(idle)') idle += dt;
    else if (/onnxruntime|ort/.test(cf.url)) js += dt;
    else other += dt;
  }
  const totalMs = wasm + js + transitions + gc + other;
  return { totalMs, wasm, js, transitions, gc, other, idle, topWasm: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}
