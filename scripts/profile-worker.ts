// node --import tsx scripts/profile-worker.ts [--model DIR] [--parts node,workerd,ort] [--sizes 100,1000]
//        [--requests 3000] [--baseline REV] [--out DIR] [--interval US]
//
// Where the time of one POST /v1/score goes, measured with profilers (docs/performance.md):
//
//  node     The worker's own Hono app (functions/app.ts, functions/ort.ts: onnxruntime-web's
//           wasm build instantiated from a precompiled WebAssembly.Module, as in workerd) in
//           this Node process. (a) Each stage of the handler timed in isolation with the
//           worker's own functions on the same request (body read, JSON.parse, validation,
//           encoding, tensors, session.run, ranking, response JSON); (b) a V8 CPU profile
//           (node:inspector) over --requests whole requests through app.fetch, every sample
//           attributed to the stage on its stack.
//  workerd  The real bundle (wrangler deploy --dry-run, not minified so the profile has
//           names) in workerd through Miniflare: wall time of GET /__bench/noop, of a POST
//           that only reads the same body (/__bench/sink) and of POST /v1/score, interleaved;
//           and a CPU profile of the isolate itself over the inspector (Miniflare
//           inspectorPort -> workerd's DevTools protocol), attributed the same way, which
//           gives the worker's CPU per request without the transport.
//  ort      Inference alone at 100 rows (1,000 too with --sizes): native onnxruntime-node
//           (1 thread) per-node profile (enableProfiling), onnxruntime-web under Node: a CPU
//           profile of session.run (JS glue vs wasm), a per-node cost model from one-node
//           models (fixed cost per run, per node, MatMul kernels), and session-option variants
//           timed interleaved.
//
// --baseline REV: the node and workerd parts also load the worker's code (functions/ and
// model/serving/) as of git revision REV (with the rest of model/ from this tree, exported into
// a temporary directory) and alternate requests between the two versions, so before/after come
// from one run under the same load. Figures are medians.
// Profiles (.cpuprofile, open in Chrome DevTools) and a JSON summary go to --out (default: a
// temporary directory, printed). Model: --model DIR (manifest.json, model.onnx,
// model.int8.onnx), else artifacts/default, else one trained like the benchmark's quick model.

import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { register } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fail, main } from './lib/cli.ts';
import { ROOT } from './build-worker.ts';
import { benchModel, type BenchModel } from './bench/model.ts';
import { scoreRequest } from './bench/requests.ts';
import { summarize, type Summary } from './bench/stats.ts';

// ---------------------------------------------------------------------------------------------
// onnxruntime-web's wasm as a precompiled module, as wrangler's CompiledWasm rule gives it to
// the worker: a resolve/load hook maps the import in functions/ort.ts to a module whose default
// export is `new WebAssembly.Module(bytes)`. Registered before anything from functions/ loads.

const ORT_WASM = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm');
const HOOK = `
export async function resolve(specifier, context, next) {
  if (specifier === 'onnxruntime-web/ort-wasm-simd-threaded.wasm') return { url: 'edge-mtl-profile:ort-wasm', shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url === 'edge-mtl-profile:ort-wasm') {
    return { format: 'module', shortCircuit: true, source: ${JSON.stringify(`import { readFileSync } from 'node:fs'; export default new WebAssembly.Module(readFileSync(${JSON.stringify(ORT_WASM)}));`)} };
  }
  return next(url, context);
}`;
register('data:text/javascript,' + encodeURIComponent(HOOK));

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (s: string) => process.stderr.write(`profile: ${s}\n`);
const f3 = (x: number) => (!Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Mean ms per call of f over a loop of about targetMs; median etc. over `reps` loops. */
async function timeLoop(f: () => unknown, reps: number, targetMs: number): Promise<Summary> {
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await f();
    const dt = performance.now() - t0;
    if (dt >= 10 || k >= 1 << 20) {
      k = Math.max(1, Math.ceil((targetMs * k) / Math.max(dt, 1e-3)));
      break;
    }
    k *= 2;
  }
  const xs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await f();
    xs.push((performance.now() - t0) / k);
  }
  return summarize(xs);
}

/** Like timeLoop for several functions, round-robin per rep (A/B under the same load). */
type Timed = Summary & { xs: number[] };

/** Median of the per-round ratios a/b (paired by round: load drift cancels). */
function pairedRatio(a: Timed, b: Timed): number {
  return summarize(a.xs.map((x, i) => x / b.xs[i])).median;
}

/** Median of the per-round differences a - b. */
function pairedDiff(a: Timed, b: Timed): number {
  return summarize(a.xs.map((x, i) => x - b.xs[i])).median;
}

async function timeInterleaved(fs: Record<string, () => unknown>, reps: number, targetMs: number): Promise<Record<string, Timed>> {
  const ks: Record<string, number> = {};
  for (const [name, f] of Object.entries(fs)) {
    let k = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await f();
      const dt = performance.now() - t0;
      if (dt >= 10 || k >= 1 << 20) {
        ks[name] = Math.max(1, Math.ceil((targetMs * k) / Math.max(dt, 1e-3)));
        break;
      }
      k *= 2;
    }
  }
  const xs: Record<string, number[]> = Object.fromEntries(Object.keys(fs).map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (const [name, f] of Object.entries(fs)) {
      const k = ks[name];
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await f();
      xs[name].push((performance.now() - t0) / k);
    }
  }
  return Object.fromEntries(Object.entries(xs).map(([n, v]) => [n, { ...summarize(v), xs: v }]));
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (the DevTools protocol's Profiler domain: node:inspector here, workerd's
// inspector over a WebSocket in the workerd part) and their attribution to stages.

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
 * A stage rule: a frame matches when its function name matches `fn` (and its URL `url`, when
 * given). A sample belongs to the innermost matching frame's stage (the frame nearest the
 * leaf), so e.g. zod code called by validateRequest counts as validation and JSON.parse inside
 * readJsonBody as parse.
 */
interface StageRule {
  stage: string;
  fn?: RegExp;
  url?: RegExp;
}

const STAGES: StageRule[] = [
  { stage: 'body read, UTF-8 decode, JSON.parse', fn: /^(readJsonBody|parseBody\d*|decodeUtf8|parseJsonText)$/ },
  { stage: 'validation', fn: /^(validateRequest|fastValidate\w*|issueToError)$/ },
  { stage: 'settings + candidates', fn: /^(rankSettings|candidatesOf)$/ },
  { stage: 'feature encoding', fn: /^(encode\d*|assembleBatch|encodeRowInto|encodeSlot|rawValueOf)$/ },
  { stage: 'tensor creation', fn: /^feedsOf$/ },
  { stage: 'ranking', fn: /^(probabilities|rank)$/ },
  { stage: 'response: JSON.stringify + Response', fn: /^scoreResponse$/ },
  { stage: 'response: JSON.stringify + Response', fn: /^json$/, url: /hono/ },
  { stage: 'session.run (ORT)', fn: /^run$/, url: /functions\/model/ },
  { stage: 'session.run (ORT)', url: /onnxruntime|functions\/ort|ort-wasm|^wasm:|wasm-function/ },
  { stage: 'handler: headers, Server-Timing, awaits', fn: /^scoreHandler$/ },
];

function frameStage(cf: CpuProfileNode['callFrame']): string | null {
  if (cf.url.startsWith('wasm') || /^wasm-function|^\$?func\d+/.test(cf.functionName)) return 'session.run (ORT)';
  for (const r of STAGES) {
    if (r.fn && !r.fn.test(cf.functionName)) continue;
    if (r.url && !r.url.test(cf.url)) continue;
    if (!r.fn && !r.url) continue;
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
    // timeDeltas[i] is the time before sample i; the sample stands for the interval after it.
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
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
function remapBundleUrls(p: CpuProfile, bundleJs: string): void {
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

async function profileNode<T>(interval: number, body: () => Promise<T>): Promise<{ profile: CpuProfile; result: T }> {
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

function printAttribution(title: string, a: Attribution, requests: number, lines: string[], topN = 15): void {
  lines.push(`  ${title}: ${f3(a.totalMs / requests)} ms of CPU samples per request (${requests} requests; idle excluded)`);
  const rows = Object.entries(a.stages).sort((x, y) => y[1] - x[1]);
  for (const [st, ms] of rows) lines.push(`    ${st.padEnd(48)} ${f3(ms / requests).padStart(7)} ms  ${pct(ms / a.totalMs).padStart(6)}`);
  lines.push(`    top self time:`);
  for (const t of a.top.slice(0, topN)) lines.push(`      ${f3(t.ms / requests).padStart(7)} ms  ${pct(t.ms / a.totalMs).padStart(6)}  ${t.fn.slice(0, 70)}  < ${t.via.slice(0, 150)}`);
}

// ---------------------------------------------------------------------------------------------
// Loading the worker's code (this tree, or --baseline REV exported into a temporary directory)

// The worker's modules are loaded at run time (two versions with --baseline) and typed loosely
// here: functions/ is type-checked on its own against the workers types (npm run typecheck:worker).
/* eslint-disable @typescript-eslint/no-explicit-any */
type Mod = Record<string, any>;
interface WorkerCode {
  label: string;
  root: string;
  app: Mod;
  model: Mod;
  score: Mod;
  validate: Mod;
  body: Mod;
  config: Mod;
}

/**
 * The worker as of git revision `rev` in a temporary directory: functions/ and model/serving/
 * (the worker's own code) from `rev`, everything else (model/features, model/onnx, ...,
 * wrangler.toml) from this tree, so that only the worker's code differs between the two
 * versions and both read the same model.
 */
function exportRevision(rev: string, into: string): string {
  const dir = join(into, `rev-${rev.replace(/[^\w.-]/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ['model', 'package.json', 'wrangler.toml', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  rmSync(join(dir, 'model', 'serving'), { recursive: true, force: true });
  const tar = execFileSync('git', ['archive', '--format=tar', rev, 'functions', 'model/serving'], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function loadCode(root: string, label: string): Promise<WorkerCode> {
  const u = (p: string) => pathToFileURL(join(root, p)).href;
  return {
    label,
    root,
    app: await import(u('functions/app.ts')),
    model: await import(u('functions/model.ts')),
    score: await import(u('functions/score.ts')),
    validate: await import(u('functions/validate.ts')),
    body: await import(u('functions/body.ts')),
    config: await import(u('functions/config.ts')),
  };
}

async function wranglerVars(): Promise<Record<string, string>> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: { vars?: Record<string, unknown> } };
  };
  const vars = experimental_readRawConfig({ config: join(ROOT, 'wrangler.toml') }).rawConfig.vars ?? {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

// ---------------------------------------------------------------------------------------------
// Part 1: the app in Node

interface NodeApp {
  code: WorkerCode;
  fetch(body: string): Promise<Response>;
  host: any;
}

async function nodeApp(code: WorkerCode, bm: BenchModel, env: Record<string, string>): Promise<NodeApp> {
  const manifest = readFileSync(join(bm.dir, 'manifest.json'), 'utf8');
  const onnx = bm.int8.buffer.slice(bm.int8.byteOffset, bm.int8.byteOffset + bm.int8.byteLength) as ArrayBuffer;
  const host = new code.model.ModelHost({ manifest, onnx, quantization: 'int8', source: bm.dir });
  await host.getSession();
  const getApp = code.app.appFactory(host);
  // As functions/index.ts: the app for this env (cached per configuration), then app.fetch.
  const fetch = async (body: string) => {
    const r = getApp(env);
    if ('error' in r) throw new Error(r.error);
    return r.app.fetch(new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body }), env);
  };
  return { code, fetch, host };
}

async function checkOk(res: Response): Promise<string> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** The handler's stages as separate functions (each version's own code), for timed loops. */
async function stageRunners(a: NodeApp, body: string, env: Record<string, string>): Promise<Record<string, () => unknown>> {
  const { code, host } = a;
  const info = host.info!;
  const cfg = code.config.parseConfig(env);
  const { buildSchemas } = await import(pathToFileURL(join(code.root, 'functions/schemas.ts')).href);
  const schemas = buildSchemas(info, cfg);
  const length = String(Buffer.byteLength(body));
  const mkReq = () => new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': length }, body });
  const parsed = JSON.parse(body);
  const req = code.validate.validateRequest(parsed, schemas, info, cfg);
  const candidates = code.score.candidatesOf(req);
  const batch = code.score.encode(info, req, req.user?.features, candidates);
  const feeds = code.score.feedsOf(info, batch);
  const session = await host.getSession();
  const outputs = await host.run(session, feeds);
  const settings = code.score.rankSettings(info, cfg, req);
  const probs = code.score.probabilities(info, outputs, batch.n);
  const lists = code.score.rank(info, cfg, settings, candidates, probs, req.top_k);
  const response = { model: { version: info.manifest.version, quantization: info.quantization }, rank: settings, items: lists.items, coupons: lists.coupons };
  return {
    'new Request (client side, Node only)': mkReq,
    'body read + decode + JSON.parse': () => code.body.readJsonBody(mkReq(), cfg.maxBodyBytes),
    'JSON.parse': () => JSON.parse(body),
    'validation (validateRequest)': () => code.validate.validateRequest(parsed, schemas, info, cfg),
    'settings + candidates': () => (code.score.rankSettings(info, cfg, req), code.score.candidatesOf(req)),
    'feature encoding (encode)': () => code.score.encode(info, req, req.user?.features, candidates),
    'tensor creation (feedsOf)': () => code.score.feedsOf(info, batch),
    'session.run': () => host.run(session, feeds),
    'probabilities + rank': () => code.score.rank(info, cfg, settings, candidates, code.score.probabilities(info, outputs, batch.n), req.top_k),
    'response JSON.stringify': () => JSON.stringify(response),
    'whole request (app.fetch + res.text)': async () => checkOk(await a.fetch(body)),
  };
}

/** Runs the worker's session for about `ms`: V8 tiers the wasm up (Liftoff -> TurboFan) while it runs hot. */
async function warmWasm(run: () => Promise<unknown>, ms: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) await run();
}

// ---------------------------------------------------------------------------------------------
// Part 2: the bundle in workerd (Miniflare), with workerd's inspector

type ModuleType = 'ESModule' | 'CompiledWasm' | 'Data' | 'Text';
interface Bundle {
  outDir: string;
  modules: { type: ModuleType; path: string }[];
  compatibilityDate: string;
  compatibilityFlags: string[];
}

function runNode(args: string[], cwd: string): Promise<string> {
  return new Promise((ok, bad) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', bad);
    child.on('close', (code) => (code === 0 ? ok(out) : bad(new Error(`wrangler exited with ${code}:\n${out}`))));
  });
}

/**
 * The worker of `codeRoot` around the model, bundled as scripts/build-worker.ts does
 * (wrangler deploy --dry-run, wrangler.toml's settings, the model aliased as edge-mtl-model)
 * but not minified, so that profiles show function names.
 */
async function buildBundle(codeRoot: string, bm: BenchModel, outDir: string): Promise<Bundle> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: Record<string, unknown> & { main?: string; alias?: Record<string, string>; compatibility_date?: string; compatibility_flags?: string[] } };
  };
  const cfg = experimental_readRawConfig({ config: join(codeRoot, 'wrangler.toml') }).rawConfig;
  const stage = mkdtempSync(join(tmpdir(), 'edge-mtl-profile-build-'));
  try {
    cpSync(join(bm.dir, 'manifest.json'), join(stage, 'manifest.json'));
    cpSync(join(bm.dir, 'model.int8.onnx'), join(stage, 'model.int8.onnx'));
    writeFileSync(
      join(stage, 'bundle.ts'),
      `import manifest from './manifest.json';\nimport onnx from './model.int8.onnx';\nexport default { manifest, onnx, quantization: 'int8', source: ${JSON.stringify(bm.dir)} };\n`,
    );
    const config = { ...cfg, minify: false, main: join(codeRoot, cfg.main ?? 'functions/index.ts'), alias: { ...(cfg.alias ?? {}), 'edge-mtl-model': join(stage, 'bundle.ts') } };
    writeFileSync(join(stage, 'wrangler.json'), JSON.stringify(config, null, 2));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    await runNode([join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outDir, '-c', join(stage, 'wrangler.json')], codeRoot);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const { readdirSync } = await import('node:fs');
  const modules: Bundle['modules'] = [];
  for (const f of readdirSync(outDir).sort()) {
    const type: ModuleType | null = f.endsWith('.js') || f.endsWith('.mjs') ? 'ESModule' : f.endsWith('.wasm') ? 'CompiledWasm' : f.endsWith('.onnx') ? 'Data' : f.endsWith('manifest.json') ? 'Text' : null;
    if (type) modules.push({ type, path: join(outDir, f) });
  }
  const entry = modules.findIndex((m) => m.path === join(outDir, 'index.js'));
  if (entry < 0) throw new Error(`wrangler wrote no index.js into ${outDir}`);
  modules.unshift(...modules.splice(entry, 1));
  return { outDir, modules, compatibilityDate: cfg.compatibility_date ?? '2026-04-01', compatibilityFlags: cfg.compatibility_flags ?? [] };
}

/** A minimal DevTools-protocol client over a WebSocket (workerd's inspector). */
async function cdpConnect(url: string) {
  const { default: WebSocket } = (await import('ws' as string)) as { default: new (url: string) => any };
  const ws = new WebSocket(url);
  await new Promise<void>((ok, bad) => {
    ws.once('open', () => ok());
    ws.once('error', bad);
  });
  let next = 1;
  const waiting = new Map<number, { ok: (v: unknown) => void; bad: (e: Error) => void }>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.bad(new Error(msg.error.message));
    else w.ok(msg.result);
  });
  return {
    send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((ok, bad) => waiting.set(id, { ok: ok as (v: unknown) => void, bad }));
    },
    close: () => ws.close(),
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Part 3: inference alone, onnxruntime-web (wasm) vs onnxruntime-node (native)

type Ort = any;
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
  const { SESSION_EXTRA } = await import('../model/onnx/inputs.ts');
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
  const { SESSION_EXTRA } = await import('../model/onnx/inputs.ts');
  const { onnx } = await import('../model/onnx/proto.ts');
  const s = await ortNode.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', optimizedModelFilePath: path, logSeverityLevel: 3, extra: SESSION_EXTRA });
  await s.release();
  return onnx.ModelProto.decode(readFileSync(path));
}

/** A model holding one node of `m` (its constant inputs as initializers), with the shapes of a profile event. */
async function singleNodeModel(m: OnnxModel, node: any, ev: NodeEvent): Promise<{ bytes: Uint8Array; inputs: { name: string; type: string; dims: number[] }[] } | null> {
  const { onnx } = await import('../model/onnx/proto.ts');
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

/** Median ms per run of each runner, batches of runs calibrated to ~targetMs, round-robin. */
async function timeRunners(runners: Record<string, () => Promise<unknown>>, reps: number, targetMs: number) {
  return timeInterleaved(runners, reps, targetMs);
}

/** The fp32 graph with export-side changes, for the experiment (model/onnx is not changed). */
async function rewriteGraph(fp32: Uint8Array, opts: { fuseFirstLayer: boolean; gateMulSum: boolean }): Promise<Uint8Array> {
  const { onnx } = await import('../model/onnx/proto.ts');
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

async function ortPart(bm: BenchModel, sizes: number[], bodies: Map<number, string>, outDir: string, quick: boolean, interval: number, lines: string[], summary: Record<string, unknown>, fresh: boolean) {
  const { loadOrt, feedsOf: runFeeds } = await import('../model/onnx/run.ts');
  const { encodeRequest } = await import('./bench/requests.ts');
  const { SESSION_EXTRA } = await import('../model/onnx/inputs.ts');
  const ortNode: Ort = await loadOrt('node');
  // The worker's own loader (functions/ort.ts: onnxruntime-web/wasm, the precompiled module,
  // 1 thread, SESSION_EXTRA, level all), and the same onnxruntime-web instance for variants.
  const workerOrt = await import('../functions/ort.ts' as string);
  // Many short rounds, every variant once per round, and ratios paired by round: load from
  // other processes comes in bursts of seconds, which then hit all variants alike.
  const reps = quick ? 9 : 31;
  const target = quick ? 10 : 15;
  const int8 = bm.int8;
  const first = await workerOrt.createSession(int8);
  {
    // As ModelHost.load: one warm-up row.
    const { inputSpecs } = await import('../model/onnx/inputs.ts');
    const ortW: Ort = await import('onnxruntime-web/wasm' as string);
    const feeds: Record<string, unknown> = {};
    for (const spec of inputSpecs(bm.layout)) feeds[spec.name] = new ortW.Tensor(spec.type, spec.type === 'int32' ? new Int32Array(spec.width) : new Float32Array(spec.width), [1, spec.width]);
    await first.run(feeds);
  }
  const ortWeb: Ort = await import('onnxruntime-web/wasm' as string);
  {
    // A fresh wasm instance runs its baseline (Liftoff) code until V8 has tiered the hot
    // functions up; measured only after that (several seconds of runs on a loaded machine).
    const f = runFeeds(ortWeb, bm.layout, encodeRequest(bm.layout, JSON.parse(bodies.get(sizes[0])!)));
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
  const feedsFor = (lib: Ort, n: number) => runFeeds(lib, bm.layout, encodeRequest(bm.layout, JSON.parse(bodies.get(n)!)));
  const maxDiff = (a: Record<string, any>, b: Record<string, any>) => {
    let d = 0;
    for (const k of Object.keys(a)) for (let i = 0; i < a[k].data.length; i++) d = Math.max(d, Math.abs(a[k].data[i] - b[k].data[i]));
    return d;
  };

  lines.push('', 'ort: inference alone (int8 model, 1 thread), ms per session.run, medians');
  for (const n of sizes) {
    const fw = feedsFor(ortWeb, n);
    const fn = feedsFor(ortNode, n);
    // (1) The worker's session vs native, interleaved.
    const native = await ortNode.InferenceSession.create(int8, { intraOpNumThreads: 1, interOpNumThreads: 1, extra: SESSION_EXTRA });
    const t = await timeRunners({ native: () => native.run(fn), web: () => first.run(fw) }, reps, target);
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
    const times = await timeRunners(runners, quick ? 7 : 15, quick ? 3 : 5);
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
    const vt = await timeRunners(Object.fromEntries(Object.entries(vs).map(([k, sv]) => [k, () => sv.run(fw)])), reps, target);
    lines.push(`    onnxruntime-web session options (same int8 model, interleaved; x = median per-round ratio to the worker's options):`);
    for (const [k, sv] of Object.entries(vs)) {
      const d = maxDiff(ref, await sv.run(fw));
      lines.push(`      ${k.padEnd(34)} ${f3(vt[k].median).padStart(7)} ms  ${pairedRatio(vt[k], vt['all (the worker)']).toFixed(3)}x  max|diff| ${d.toExponential(1)}`);
      await sv.release();
    }
    summary[`ort.n${n}.options`] = vt;

    // (5) Export-side changes (not made: model/onnx is not this tool's), on the fp32 graph.
    const exps: Record<string, Uint8Array> = {
      'fp32 as exported': bm.fp32,
      'experts + gates first layer fused': await rewriteGraph(bm.fp32, { fuseFirstLayer: true, gateMulSum: false }),
      'gate mix as Mul + ReduceSum': await rewriteGraph(bm.fp32, { fuseFirstLayer: false, gateMulSum: true }),
      'both': await rewriteGraph(bm.fp32, { fuseFirstLayer: true, gateMulSum: true }),
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
      diffs[k] = maxDiff(refs['fp32 as exported'], refs[k]);
    }
    const et = await timeRunners(es, reps, target);
    for (const x of hold) await x.release();
    await native.release();
    lines.push(`    export-side experiment (graph rewritten here, fp32; int8 runs the same float graph after folding; (x) = per-round ratio to the graph as exported):`);
    for (const k of Object.keys(exps)) {
      const base = 'fp32 as exported';
      lines.push(
        `      ${k.padEnd(36)} web ${f3(et[`web|${k}`].median).padStart(6)} (${pairedRatio(et[`web|${k}`], et[`web|${base}`]).toFixed(3)}x)  native ${f3(et[`native|${k}`].median).padStart(6)} (${pairedRatio(et[`native|${k}`], et[`native|${base}`]).toFixed(3)}x)  web/native ${pairedRatio(et[`web|${k}`], et[`native|${k}`]).toFixed(2)}x  max|diff| ${diffs[k].toExponential(1)}`,
      );
    }
    summary[`ort.n${n}.export_experiment`] = { times: et, diffs };
  }
  await first.release();
}

function wasmSplit(p: CpuProfile) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  let wasm = 0;
  let js = 0;
  let transitions = 0;
  let gc = 0;
  let other = 0;
  let idle = 0;
  const fns = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
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

// ---------------------------------------------------------------------------------------------

const PARTS = ['node', 'workerd', 'ort'] as const;

await main(async () => {
  const a = parseArgs({
    options: {
      model: { type: 'string' },
      parts: { type: 'string', default: 'node,workerd,ort' },
      sizes: { type: 'string', default: '100,1000' },
      requests: { type: 'string', default: '3000' },
      baseline: { type: 'string' },
      out: { type: 'string' },
      interval: { type: 'string', default: '100' },
      quick: { type: 'boolean', default: false },
    },
  }).values;
  const parts = new Set(a.parts!.split(',').map((s) => s.trim()).filter(Boolean));
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) fail(`--parts: unknown part "${p}"; expected some of ${PARTS.join(',')}`);
  const sizes = a.sizes!.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail('--sizes: positive integers');
  const requests = Number(a.requests);
  const interval = Number(a.interval);
  const quick = a.quick!;
  const outDir = resolve(a.out ?? mkdtempSync(join(tmpdir(), 'edge-mtl-profile-')));
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'edge-mtl-profile-scratch-'));
  const lines: string[] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), load: os.loadavg(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  lines.push(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)} at start; profiles in ${outDir}`);

  let bm: BenchModel;
  if (a.model) {
    const dir = resolve(a.model);
    const { checkManifest } = await import('../model/manifest.ts');
    const { layoutOf } = await import('../model/features/layout.ts');
    const manifest = checkManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    bm = {
      dir,
      source: dir,
      manifest,
      layout: layoutOf(manifest.features),
      fp32: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
      int8: new Uint8Array(readFileSync(join(dir, 'model.int8.onnx'))),
      trainSeconds: 0,
      cleanup: () => undefined,
    };
  } else bm = benchModel(true, log);
  lines.push(`model: ${bm.source} (${bm.manifest.architecture.name}, int8 ${(bm.int8.byteLength / 2 ** 20).toFixed(2)} MiB)`);
  const bodies = new Map<number, string>();
  for (const n of sizes) bodies.set(n, JSON.stringify(await scoreRequest(bm.manifest, n, n)));
  const env = await wranglerVars();

  try {
    const codes: WorkerCode[] = [];
    if (parts.has('node') || parts.has('workerd')) {
      codes.push(await loadCode(ROOT, 'this tree'));
      if (a.baseline) codes.unshift(await loadCode(exportRevision(a.baseline, scratch), `baseline ${a.baseline}`));
    }

    if (parts.has('node')) {
      log('node: stage timings and CPU profile of the app in Node');
      const apps = await Promise.all(codes.map((c) => nodeApp(c, bm, env)));
      // Same answers from every version (one after the other: the versions share one
      // onnxruntime-web wasm instance, whose runs must not overlap).
      for (const n of sizes) {
        const texts: string[] = [];
        for (const x of apps) texts.push(await checkOk(await x.fetch(bodies.get(n)!)));
        for (const t of texts.slice(1)) if (t !== texts[0]) throw new Error(`the versions answer differently at n=${n}`);
      }
      const reps = quick ? 5 : 11;
      const target = quick ? 30 : 100;
      lines.push('', `node: the worker's app in Node (onnxruntime-web wasm as in workerd), ms per request, medians of ${reps} loops`);
      for (const n of sizes) {
        const body = bodies.get(n)!;
        // Stage timings (each version's own functions), all interleaved.
        const runners: Record<string, () => unknown> = {};
        for (const x of apps) for (const [k, f] of Object.entries(await stageRunners(x, body, env))) runners[`${x.code.label}|${k}`] = f;
        for (const x of apps) await warmWasm(() => x.fetch(body).then(checkOk), quick ? 1000 : 3000);
        const times = await timeInterleaved(runners, reps, target);
        const names = [...new Set(Object.keys(runners).map((k) => k.slice(k.indexOf('|') + 1)))];
        lines.push(`  n=${n}: stages timed in isolation, interleaved${apps.length > 1 ? ` (${apps.map((x) => x.code.label).join(' | ')})` : ''}`);
        for (const name of names) {
          const cells = apps.map((x) => f3(times[`${x.code.label}|${name}`]?.median ?? NaN).padStart(8)).join(' ');
          const ratio = apps.length === 2 ? `   after/before ${pairedRatio(times[`${apps[1].code.label}|${name}`], times[`${apps[0].code.label}|${name}`]).toFixed(2)}` : '';
          lines.push(`    ${name.padEnd(44)} ${cells}${ratio}`);
        }
        summary[`node.n${n}.stages`] = times;
        // CPU profile of whole requests.
        for (const x of apps) {
          const count = Math.max(50, Math.round((requests * 100) / Math.max(n, 100)));
          for (let i = 0; i < 50; i++) await checkOk(await x.fetch(body));
          const { profile } = await profileNode(interval, async () => {
            for (let i = 0; i < count; i++) await checkOk(await x.fetch(body));
          });
          const file = join(outDir, `node-${x.code.label.replace(/\W+/g, '_')}-n${n}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          const attr = attribute(profile);
          summary[`node.n${n}.profile.${x.code.label}`] = { ...attr, requests: count };
          printAttribution(`CPU profile, ${x.code.label}, n=${n}`, attr, count, lines);
        }
      }
    }

    if (parts.has('workerd')) {
      log('workerd: bundling (wrangler deploy --dry-run, not minified)');
      const bundles: Bundle[] = [];
      for (let i = 0; i < codes.length; i++) bundles.push(await buildBundle(codes[i].root, bm, join(outDir, `dist-${i}`)));
      const { Miniflare } = await import('miniflare');
      const port = await freePort();
      const names = codes.map((_, i) => `w${i}`);
      const mf = new Miniflare({
        ...(process.env.PROFILE_NO_INSPECTOR ? {} : { inspectorPort: port }),
        workers: bundles.map((b, i) => ({
          name: names[i],
          routes: [`${names[i]}.profile/*`],
          modulesRoot: b.outDir,
          modules: b.modules,
          compatibilityDate: b.compatibilityDate,
          compatibilityFlags: b.compatibilityFlags,
          bindings: { ...env, BENCH_ROUTES: '1' },
          kvNamespaces: { USER_FEATURES: 'profile-user-features' },
        })),
      });
      try {
        await mf.ready;
        const call = async (name: string, path: string, body?: string, expect = 200) => {
          const init = body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body };
          const res = (await mf.dispatchFetch(`http://${name}.profile${path}`, init as never)) as unknown as Response;
          const text = await res.text();
          if (res.status !== expect) throw new Error(`${name} ${path}: ${res.status} ${text.slice(0, 300)}`);
          return { res, text };
        };
        const floor = names[names.length - 1];
        for (const name of names) await call(name, '/healthz');
        for (const n of sizes) {
          const texts = await Promise.all(names.map(async (name) => (await call(name, '/v1/score', bodies.get(n)!)).text));
          for (const t of texts.slice(1)) if (t !== texts[0]) throw new Error(`the versions answer differently in workerd at n=${n}`);
        }
        // Wall time, everything interleaved: one of each per round.
        const rounds = quick ? 60 : 300;
        type Kind = { key: string; go: () => Promise<unknown> };
        const kinds: Kind[] = [{ key: 'GET /__bench/noop', go: () => call(floor, '/__bench/noop', undefined, 204) }];
        for (const n of sizes) {
          kinds.push({ key: `POST /__bench/echo n=${n}`, go: () => call(floor, '/__bench/echo', bodies.get(n)!) });
          for (let i = 0; i < names.length; i++) kinds.push({ key: `POST /v1/score n=${n} [${codes[i].label}]`, go: () => call(names[i], '/v1/score', bodies.get(n)!) });
        }
        const wall: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.key, []]));
        // Warm-up: each isolate's wasm runs its baseline code until V8 tiers it up.
        for (const name of names) await warmWasm(() => call(name, '/v1/score', bodies.get(sizes[0])!), quick ? 2000 : 5000);
        for (let r = 0; r < 10; r++) for (const k of kinds) await k.go();
        // Server-Timing of the score requests: the isolate's clock ticks in whole milliseconds
        // locally, so single values are coarse, but the mean over many requests is not.
        const timing: Record<string, Record<string, number[]>> = {};
        for (let r = 0; r < rounds; r++) {
          for (const k of kinds) {
            const t0 = performance.now();
            const out = (await k.go()) as { res?: Response } | undefined;
            wall[k.key].push(performance.now() - t0);
            const st = out?.res?.headers.get('server-timing');
            if (st) {
              for (const part of st.split(',')) {
                const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
                if (m) ((timing[k.key] ??= {})[m[1]] ??= []).push(Number(m[2]));
              }
            }
          }
        }
        const ws = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, summarize(v)]));
        summary['workerd.wall'] = ws;
        summary['workerd.server_timing_mean'] = Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([n, xs]) => [n, xs.reduce((a, b) => a + b, 0) / xs.length]))]));
        lines.push('', `workerd (Miniflare dispatchFetch, unminified bundle), wall ms over ${rounds} interleaved rounds: p50 [p10-p90]; Server-Timing means (isolate clock, 1 ms ticks)`);
        const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        for (const k of kinds) {
          const st = timing[k.key] ? Object.entries(timing[k.key]).map(([n, xs]) => `${n} ${f3(mean(xs))}`).join(', ') : '';
          lines.push(`  ${k.key.padEnd(52)} ${f3(ws[k.key].median).padStart(7)}  [${f3(q(wall[k.key], 0.1))}-${f3(q(wall[k.key], 0.9))}]`.padEnd(86) + st);
        }
        // Paired by round: score minus the floors, and after/before.
        for (const n of sizes) {
          const echo = wall[`POST /__bench/echo n=${n}`];
          const noop = wall['GET /__bench/noop'];
          const per = codes.map((c) => wall[`POST /v1/score n=${n} [${c.label}]`]);
          const med = (f: (i: number) => number) => summarize(per[0].map((_, i) => f(i))).median;
          const parts = codes.map((c, j) => `${c.label}: -noop ${f3(med((i) => per[j][i] - noop[i]))}, -echo ${f3(med((i) => per[j][i] - echo[i]))}`);
          if (codes.length === 2) parts.push(`after/before ${med((i) => per[1][i] / per[0][i]).toFixed(2)}, after-before ${f3(med((i) => per[1][i] - per[0][i]))} ms`);
          lines.push(`  n=${n}, medians of per-round differences: ${parts.join('; ')}`);
        }
        // Each stage in a loop inside the isolate (POST /__bench/stages), where a version has it.
        const stageReps = quick ? 3 : 7;
        for (const n of sizes) {
          const per: Record<string, Record<string, number[]>> = {};
          for (let r = 0; r < stageReps; r++) {
            for (let i = 0; i < names.length; i++) {
              const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.get(n)! };
              const res = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?ms=${quick ? 40 : 100}`, init as never)) as unknown as Response;
              const text = await res.text();
              if (res.status !== 200) continue;
              const j = JSON.parse(text) as { stages: Record<string, { ms_per_call: number }> };
              const v = (per[codes[i].label] ??= {});
              for (const [k, x] of Object.entries(j.stages)) (v[k] ??= []).push(x.ms_per_call);
            }
          }
          const labels = Object.keys(per);
          if (!labels.length) continue;
          lines.push('', `workerd: stages in a loop inside the isolate (POST /__bench/stages), n=${n}, ms per call, median of ${stageReps}${labels.length > 1 ? ` (${labels.join(' | ')})` : ` (${labels[0]})`}`);
          const stageNames = [...new Set(labels.flatMap((l) => Object.keys(per[l])))];
          for (const st of stageNames) {
            const cells = labels.map((l) => f3(per[l][st] ? summarize(per[l][st]).median : NaN).padStart(8)).join(' ');
            const [b, a2] = labels.map((l) => per[l][st]);
            const ratio = labels.length === 2 && a2 && b ? `   after/before ${summarize(a2.map((x, i) => x / b[i])).median.toFixed(2)}` : '';
            lines.push(`    ${st.padEnd(44)} ${cells}${ratio}`);
          }
          summary[`workerd.n${n}.stages`] = Object.fromEntries(labels.map((l) => [l, Object.fromEntries(Object.entries(per[l]).map(([k, v]) => [k, summarize(v)]))]));
        }
        // CPU profile of each isolate over the inspector, during one long POST
        // /__bench/stages?only=app: the whole request through the app in a loop inside the
        // isolate (no I/O waits: workerd does not mark the isolate idle while it waits, so a
        // profile across separate requests would count the waits too). Per request = samples / calls.
        for (let i = 0; i < names.length && !process.env.PROFILE_NO_INSPECTOR; i++) {
          for (const n of sizes) {
            const cdp = await cdpConnect(`ws://127.0.0.1:${port}/core:user:${names[i]}`);
            const ms = Math.min(10_000, Math.round((quick ? 0.3 : 1) * requests * Math.max(1, n / 100)));
            try {
              const init = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.get(n)! });
              const warm = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?only=app&ms=200`, init() as never)) as unknown as Response;
              if (warm.status !== 200) {
                lines.push(`  (${codes[i].label}: no /__bench/stages route, no isolate profile)`);
                await warm.arrayBuffer();
                continue;
              }
              await warm.arrayBuffer();
              await cdp.send('Profiler.enable');
              await cdp.send('Profiler.setSamplingInterval', { interval });
              await cdp.send('Profiler.start');
              const res = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?only=app&ms=${ms}`, init() as never)) as unknown as Response;
              const j = (await res.json()) as { stages: Record<string, { calls: number; ms_per_call: number }> };
              const { profile } = await cdp.send<{ profile: CpuProfile }>('Profiler.stop');
              await cdp.send('Profiler.disable');
              const calls = j.stages.app.calls;
              const file = join(outDir, `workerd-${codes[i].label.replace(/\W+/g, '_')}-n${n}.cpuprofile`);
              writeFileSync(file, JSON.stringify(profile));
              remapBundleUrls(profile, join(bundles[i].outDir, 'index.js'));
              const attr = attribute(profile);
              summary[`workerd.n${n}.profile.${codes[i].label}`] = { ...attr, requests: calls, msPerCallIsolateClock: j.stages.app.ms_per_call };
              lines.push('');
              printAttribution(`workerd isolate CPU profile of the app in a loop, ${codes[i].label}, n=${n} (isolate clock: ${f3(j.stages.app.ms_per_call)} ms per request while profiling)`, attr, calls, lines);
            } finally {
              cdp.close();
            }
          }
        }
      } finally {
        await mf.dispose();
      }
    }
    if (parts.has('ort')) {
      log('ort: inference alone');
      await ortPart(bm, sizes, bodies, outDir, quick, interval, lines, summary, !parts.has('node'));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    bm.cleanup();
    // Whatever was measured, also when a part failed.
    summary.loadEnd = os.loadavg();
    lines.push('', `load ${os.loadavg()[0].toFixed(2)} at end`);
    writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
    console.log(lines.join('\n'));
  }
});
