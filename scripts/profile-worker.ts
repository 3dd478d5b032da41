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
// --baseline REV: the node and workerd parts also load functions/ and model/ as of git
// revision REV (exported into a temporary directory) and alternate requests between the two
// versions, so before/after come from one run under the same load. Figures are medians.
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
async function timeInterleaved(fs: Record<string, () => unknown>, reps: number, targetMs: number): Promise<Record<string, Summary>> {
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
  return Object.fromEntries(Object.entries(xs).map(([n, v]) => [n, summarize(v)]));
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
  { stage: 'JSON.parse (request)', fn: /^parseJsonText$/ },
  { stage: 'body read + UTF-8 decode', fn: /^readJsonBody$/ },
  { stage: 'validation', fn: /^(validateRequest|validateScoreRequest|fastValidate\w*|issueToError)$/ },
  { stage: 'settings + candidates', fn: /^(rankSettings|candidatesOf)$/ },
  { stage: 'feature encoding', fn: /^(encode|assembleBatch|encodeBatch\w*|encodeRowInto|rawValueOf)$/ },
  { stage: 'tensor creation', fn: /^feedsOf$/ },
  { stage: 'ranking', fn: /^(probabilities|rank|rankLists)$/ },
  { stage: 'response JSON + headers', fn: /^(json|respond|scoreResponse|stringify)$/, url: /hono|functions\/app|app\.ts|index\.js/ },
  { stage: 'session.run (ORT)', fn: /^(run|runInference)$/, url: /functions\/(model|score)|model\.ts|index\.js/ },
  { stage: 'session.run (ORT)', url: /onnxruntime|ort\.|ort-wasm|^wasm:|wasm-function/ },
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

/** functions/ and model/ (+ package.json, wrangler.toml) of git revision `rev` in a temporary directory. */
function exportRevision(rev: string, into: string): string {
  const dir = join(into, `rev-${rev.replace(/[^\w.-]/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', rev, 'functions', 'model', 'package.json', 'wrangler.toml', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  // Untracked model code this tree has (e.g. data sources) is not needed by the worker.
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
    return r.app.fetch(new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), env);
  };
  return { code, fetch, host };
}

async function checkOk(res: Response): Promise<string> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

async function stageTimes(a: NodeApp, body: string, env: Record<string, string>, reps: number, targetMs: number): Promise<Record<string, Summary>> {
  const { code, host } = a;
  const info = host.info!;
  const cfg = code.config.parseConfig(env);
  const { buildSchemas } = await import(pathToFileURL(join(code.root, 'functions/schemas.ts')).href);
  const schemas = buildSchemas(info, cfg);
  const mkReq = () => new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
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
  const out: Record<string, Summary> = {};
  const t = async (name: string, fn: () => unknown) => (out[name] = await timeLoop(fn, reps, targetMs));
  await t('new Request (client side, Node only)', mkReq);
  await t('body read + decode + JSON.parse', () => code.body.readJsonBody(mkReq(), cfg.maxBodyBytes));
  await t('JSON.parse', () => JSON.parse(body));
  await t('validation (validateRequest)', () => code.validate.validateRequest(parsed, schemas, info, cfg));
  await t('settings + candidates', () => (code.score.rankSettings(info, cfg, req), code.score.candidatesOf(req)));
  await t('feature encoding (encode)', () => code.score.encode(info, req, req.user?.features, candidates));
  await t('tensor creation (feedsOf)', () => code.score.feedsOf(info, batch));
  await t('session.run', () => host.run(session, feeds));
  await t('probabilities + rank', () => code.score.rank(info, cfg, settings, candidates, code.score.probabilities(info, outputs, batch.n), req.top_k));
  await t('response JSON.stringify', () => JSON.stringify(response));
  await t('whole request (app.fetch + res.text)', async () => checkOk(await a.fetch(body)));
  return out;
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
      // Same answers from every version.
      for (const n of sizes) {
        const texts = await Promise.all(apps.map(async (x) => checkOk(await x.fetch(bodies.get(n)!))));
        for (const t of texts.slice(1)) if (t !== texts[0]) throw new Error(`the versions answer differently at n=${n}`);
      }
      const reps = quick ? 5 : 11;
      const target = quick ? 30 : 100;
      lines.push('', `node: the worker's app in Node (onnxruntime-web wasm as in workerd), ms per request, medians of ${reps} loops`);
      for (const n of sizes) {
        const body = bodies.get(n)!;
        // Stage timings (each version's own functions), versions interleaved by stage.
        const st: Record<string, Record<string, Summary>> = {};
        for (const x of apps) st[x.code.label] = await stageTimes(x, body, env, reps, target);
        const names = Object.keys(st[apps[0].code.label]);
        lines.push(`  n=${n}: stages timed in isolation${apps.length > 1 ? ` (${apps.map((x) => x.code.label).join(' | ')})` : ''}`);
        for (const name of names) lines.push(`    ${name.padEnd(44)} ${apps.map((x) => f3(st[x.code.label][name]?.median ?? NaN).padStart(8)).join(' ')}`);
        summary[`node.n${n}.stages`] = st;
        // Whole requests, versions interleaved.
        const whole = await timeInterleaved(Object.fromEntries(apps.map((x) => [x.code.label, async () => checkOk(await x.fetch(body))])), reps, target);
        lines.push(`    ${'whole request, interleaved A/B'.padEnd(44)} ${apps.map((x) => f3(whole[x.code.label].median).padStart(8)).join(' ')}`);
        summary[`node.n${n}.whole`] = whole;
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
        for (let r = 0; r < 10; r++) for (const k of kinds) await k.go();
        for (let r = 0; r < rounds; r++) {
          for (const k of kinds) {
            const t0 = performance.now();
            await k.go();
            wall[k.key].push(performance.now() - t0);
          }
        }
        const ws = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, summarize(v)]));
        summary['workerd.wall'] = ws;
        lines.push('', `workerd (Miniflare dispatchFetch, unminified bundle), wall ms over ${rounds} interleaved rounds: p50 [p10-p90]`);
        const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
        for (const k of kinds) lines.push(`  ${k.key.padEnd(52)} ${f3(ws[k.key].median).padStart(7)}  [${f3(q(wall[k.key], 0.1))}-${f3(q(wall[k.key], 0.9))}]`);
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
          for (const st of stageNames) lines.push(`    ${st.padEnd(44)} ${labels.map((l) => f3(per[l][st] ? summarize(per[l][st]).median : NaN).padStart(8)).join(' ')}`);
          summary[`workerd.n${n}.stages`] = Object.fromEntries(labels.map((l) => [l, Object.fromEntries(Object.entries(per[l]).map(([k, v]) => [k, summarize(v)]))]));
        }
        // CPU profile of each isolate over the inspector, during one long POST
        // /__bench/stages?only=app: the whole request through the app in a loop inside the
        // isolate (no I/O waits: workerd does not mark the isolate idle while it waits, so a
        // profile across separate requests would count the waits too). Per request = samples / calls.
        for (let i = 0; i < names.length && !process.env.PROFILE_NO_INSPECTOR; i++) {
          for (const n of sizes) {
            const cdp = await cdpConnect(`ws://127.0.0.1:${port}/core:user:${names[i]}`);
            const ms = Math.round((quick ? 0.3 : 1) * requests * Math.max(1, n / 100));
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
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    bm.cleanup();
  }
  summary.loadEnd = os.loadavg();
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  console.log(lines.join('\n'));
});
