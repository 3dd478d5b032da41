// npm run build:worker [-- --model DIR] [--fp32] [--outdir DIR]
// Bundles the worker with `wrangler deploy --dry-run --outdir` and prints the size of every
// module, raw and gzip (the platform limits compressed size). Without --model the bundle
// holds the default model (wrangler.toml [alias] -> artifacts/default); with --model DIR it
// holds DIR/manifest.json + the file the worker serves (model/manifest.ts servedFile: the
// serving graph DIR/model.int8.optimized.onnx, or DIR/model.int8.onnx for a model exported
// without one, or model.onnx with --fp32): the build writes a small bundle module and a copy
// of wrangler.toml's settings into a temporary directory with `edge-mtl-model` aliased
// there (so does a default model exported without a serving graph). Tests use buildWorker()
// the same way.
// Before bundling, the ONNX file is checked against the manifest's record (size, sha256) and
// loaded once in onnxruntime-node: a truncated or corrupt model is refused with one line
// instead of deployed.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { checkManifest, servedFile, type ServedFile } from '../model/manifest.ts';
import { SERVING_FILE } from '../model/onnx/export-dir.ts';
import { loadOrt } from '../model/onnx/run.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type ModuleType = 'ESModule' | 'CompiledWasm' | 'Data' | 'Text';

export interface BuildOptions {
  /** Model directory; default: wrangler.toml's alias (artifacts/default). */
  modelDir?: string;
  /** Bundle model.onnx (fp32) instead of the int8 serving graph. */
  fp32?: boolean;
  outDir: string;
  /** Print wrangler's output. */
  verbose?: boolean;
}

export interface BuiltModule {
  type: ModuleType;
  path: string;
  raw: number;
  gzip: number;
}

export interface BuiltWorker {
  outDir: string;
  /** Entry first, in the form Miniflare's `modules` option takes. */
  modules: BuiltModule[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  total: { raw: number; gzip: number };
  /** wrangler's own "Total Upload: ... / gzip: ..." line. */
  wranglerTotal: string | null;
}

function run(cmd: string, args: string[], cwd: string, verbose: boolean): Promise<string> {
  return new Promise((ok, bad) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (verbose) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      if (verbose) process.stderr.write(d);
    });
    child.on('error', bad);
    child.on('close', (code) => (code === 0 ? ok(out) : bad(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`))));
  });
}

function moduleType(file: string): ModuleType | null {
  if (file.endsWith('.js') || file.endsWith('.mjs')) return 'ESModule';
  if (file.endsWith('.wasm')) return 'CompiledWasm';
  if (file.endsWith('.onnx')) return 'Data';
  if (file.endsWith('manifest.json')) return 'Text';
  return null;
}

interface RawConfig {
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  alias?: Record<string, string>;
  [k: string]: unknown;
}

export async function readWranglerConfig(): Promise<RawConfig> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: RawConfig };
  };
  return experimental_readRawConfig({ config: join(ROOT, 'wrangler.toml') }).rawConfig;
}

/**
 * Refuses a model directory whose ONNX file does not match its manifest (bytes, sha256) or
 * that onnxruntime cannot load; the error is one line naming the file and the problem.
 */
export async function checkModelFiles(modelDir: string, fp32: boolean): Promise<ServedFile> {
  const manifestPath = join(modelDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath} not found`);
  let manifest;
  let served;
  try {
    manifest = checkManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
    served = servedFile(manifest.files, fp32 ? 'fp32' : 'int8');
  } catch (e) {
    throw new Error(`${manifestPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const name = fp32 ? 'model.onnx' : 'model.int8.onnx';
  if (!served) throw new Error(`${manifestPath} has no files.${fp32 ? 'onnx' : 'int8'} record for ${name}: re-export the model (npm run export -- --model ${modelDir})`);
  const record = served.record;
  const path = join(modelDir, record.path);
  if (!existsSync(path)) throw new Error(`${path} not found`);
  const bytes = readFileSync(path);
  if (bytes.byteLength !== record.bytes) throw new Error(`${path} has ${bytes.byteLength} bytes, the manifest says ${record.bytes}: refusing to bundle a truncated or different model`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== record.sha256) throw new Error(`${path}: sha256 ${sha} does not match the manifest (${record.sha256}): refusing to bundle it`);
  const ort = await loadOrt('node');
  let session;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(bytes));
  } catch (e) {
    throw new Error(`${path}: onnxruntime cannot load it (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  await session.release();
  return served;
}

/** Writes DIR/bundle.ts (+ copies of the manifest and the served file) and DIR/wrangler.json aliasing it. */
export function stageModel(modelDir: string, fp32: boolean, served: ServedFile, cfg: RawConfig, stage: string): string {
  const onnxName = served.record.path;
  for (const f of ['manifest.json', onnxName]) {
    const src = join(modelDir, f);
    if (!existsSync(src)) throw new Error(`${src} not found`);
    copyFileSync(src, join(stage, f));
  }
  writeFileSync(
    join(stage, 'bundle.ts'),
    `// Generated by scripts/build-worker.ts for ${JSON.stringify(resolve(modelDir))}.\n` +
      `import manifest from './manifest.json';\nimport onnx from './${onnxName}';\n` +
      `export default { manifest, onnx, quantization: ${JSON.stringify(fp32 ? 'fp32' : 'int8')}, source: ${JSON.stringify(modelDir)} };\n`,
  );
  const config = { ...cfg, main: join(ROOT, cfg.main ?? 'functions/index.ts'), alias: { ...(cfg.alias ?? {}), 'edge-mtl-model': join(stage, 'bundle.ts') } };
  const path = join(stage, 'wrangler.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export async function buildWorker(opts: BuildOptions): Promise<BuiltWorker> {
  const dir = resolve(opts.modelDir ?? join(ROOT, 'artifacts', 'default'));
  const served = await checkModelFiles(dir, !!opts.fp32);
  // wrangler.toml's default bundle (functions/model-bundle/default.ts) imports the serving graph.
  const staged = !!opts.modelDir || !!opts.fp32 || served.record.path !== SERVING_FILE;
  const cfg = await readWranglerConfig();
  const outDir = resolve(opts.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const args = [wrangler, 'deploy', '--dry-run', '--outdir', outDir];
  let stage: string | null = null;
  if (staged) {
    stage = mkdtempSync(join(tmpdir(), 'edge-mtl-build-'));
    args.push('-c', stageModel(dir, !!opts.fp32, served, cfg, stage));
  }
  let out: string;
  try {
    out = await run(process.execPath, args, ROOT, !!opts.verbose);
  } finally {
    if (stage) rmSync(stage, { recursive: true, force: true });
  }
  const modules: BuiltModule[] = [];
  for (const f of readdirSync(outDir).sort()) {
    const type = moduleType(f);
    if (!type) continue;
    const path = join(outDir, f);
    const bytes = readFileSync(path);
    modules.push({ type, path, raw: statSync(path).size, gzip: gzipSync(bytes).length });
  }
  const entry = modules.findIndex((m) => m.path === join(outDir, 'index.js'));
  if (entry < 0) throw new Error(`wrangler wrote no index.js into ${outDir}`);
  modules.unshift(...modules.splice(entry, 1));
  const total = modules.reduce((t, m) => ({ raw: t.raw + m.raw, gzip: t.gzip + m.gzip }), { raw: 0, gzip: 0 });
  return {
    outDir,
    modules,
    compatibilityDate: cfg.compatibility_date ?? '2026-04-01',
    compatibilityFlags: cfg.compatibility_flags ?? [],
    total,
    wranglerTotal: /Total Upload:[^\n]*/.exec(out)?.[0] ?? null,
  };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function cli(argv: string[]): Promise<void> {
  let modelDir: string | undefined;
  let outDir = join(ROOT, 'dist');
  let fp32 = false;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') modelDir = argv[++i];
    else if (a === '--outdir') outDir = argv[++i];
    else if (a === '--fp32') fp32 = true;
    else if (a === '--verbose') verbose = true;
    else throw new Error(`unknown argument ${a}; usage: npm run build:worker -- [--model DIR] [--fp32] [--outdir DIR] [--verbose]`);
    if (a !== '--fp32' && a !== '--verbose' && !argv[i]) throw new Error(`${a} needs a value`);
  }
  if (!modelDir && !fp32 && !existsSync(join(ROOT, 'artifacts', 'default', 'manifest.json'))) {
    throw new Error('artifacts/default/manifest.json is missing: train first (npm run train -- --data synthetic --arch mmoe --out artifacts/default) or pass --model DIR');
  }
  const w = await buildWorker({ modelDir, outDir, fp32, verbose });
  const rows = w.modules.map((m) => [m.path.slice(w.outDir.length + 1), m.type, kib(m.raw), kib(m.gzip)]);
  rows.push(['total', '', kib(w.total.raw), kib(w.total.gzip)]);
  const width = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), ['module', 'type', 'raw', 'gzip'][c].length));
  const line = (r: string[]) => r.map((s, c) => (c >= 2 ? s.padStart(width[c]) : s.padEnd(width[c]))).join('  ');
  console.log(`bundle in ${w.outDir}`);
  console.log(line(['module', 'type', 'raw', 'gzip']));
  for (const r of rows) console.log(line(r));
  if (w.wranglerTotal) console.log(`wrangler: ${w.wranglerTotal}`);
  console.log(
    `limit: ${kib(w.total.raw)} uncompressed of the platform's 64 MiB per Worker on every plan (${((w.total.raw / 2 ** 26) * 100).toFixed(0)}%); compressed ${kib(w.total.gzip)} (the upload; the earlier 3 / 10 MiB compressed limits no longer apply)`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
