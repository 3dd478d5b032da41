// Builds the real worker bundle (wrangler deploy --dry-run, via scripts/build-worker.ts)
// around the test model and runs it in workerd through Miniflare. The build is cached in
// the OS temp directory under a hash of everything that goes into it (worker sources, the
// model/ modules, wrangler.toml, the lockfile, the test model's bytes), so the test files
// share one build per change.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { buildWorker, ROOT, type BuiltWorker } from '../../scripts/build-worker.ts';
import { writeTestModel, type TestModel } from './worker-model.ts';
import { useWorkerdV8Flags } from '../../scripts/lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

function filesUnder(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function inputsHash(modelDir: string): string {
  const h = createHash('sha256');
  const files = [
    ...filesUnder(join(ROOT, 'functions')),
    ...filesUnder(join(ROOT, 'model')).filter((f) => f.endsWith('.ts')),
    join(ROOT, 'wrangler.toml'),
    join(ROOT, 'package-lock.json'),
    join(ROOT, 'scripts', 'build-worker.ts'),
    ...filesUnder(modelDir),
  ].sort();
  for (const f of files) {
    if (!existsSync(f)) continue;
    h.update(f.startsWith(modelDir) ? relative(modelDir, f) : relative(ROOT, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 24);
}

/** Drops cached builds (and abandoned scratch directories) older than an hour. */
function prune(base: string, keep: string): void {
  const cutoff = Date.now() - 3600_000;
  for (const name of readdirSync(base)) {
    if (name === keep) continue;
    const p = join(base, name);
    try {
      if (statSync(p).mtimeMs < cutoff) rmSync(p, { recursive: true, force: true });
    } catch {
      // raced with another process: fine
    }
  }
}

export interface TestWorker {
  model: TestModel;
  built: BuiltWorker;
}

let pending: Promise<TestWorker> | null = null;

/** The test model and the worker built around it (cached across test files). */
export function testWorker(): Promise<TestWorker> {
  return (pending ??= (async () => {
    const base = join(tmpdir(), 'edge-mtl-worker-test');
    mkdirSync(base, { recursive: true });
    const scratch = mkdtempSync(join(base, 'tmp-'));
    const model = writeTestModel(join(scratch, 'model'));
    const key = inputsHash(model.dir);
    const dir = join(base, key);
    const meta = join(dir, 'built.json');
    if (!existsSync(meta)) {
      const built = await buildWorker({ modelDir: model.dir, outDir: join(scratch, 'dist') });
      writeFileSync(join(scratch, 'built.json'), JSON.stringify(built));
      try {
        renameSync(scratch, dir);
      } catch {
        // Another process finished the same build first: use theirs.
        rmSync(scratch, { recursive: true, force: true });
      }
    } else {
      rmSync(scratch, { recursive: true, force: true });
    }
    prune(base, key);
    const stored = JSON.parse(readFileSync(meta, 'utf8')) as BuiltWorker;
    // Paths were recorded inside the scratch directory; point them at the final one.
    const fix = (p: string) => join(dir, 'dist', p.slice(p.lastIndexOf('/dist/') + 6));
    const built: BuiltWorker = { ...stored, outDir: join(dir, 'dist'), modules: stored.modules.map((m) => ({ ...m, path: fix(m.path) })) };
    const manifest = JSON.parse(readFileSync(join(dir, 'model', 'manifest.json'), 'utf8'));
    const onnx = new Uint8Array(readFileSync(join(dir, 'model', 'model.int8.onnx')));
    for (const m of built.modules) if (!statSync(m.path).isFile()) throw new Error(`missing ${m.path}`);
    return { model: { dir: join(dir, 'model'), manifest, onnx, layout: model.layout }, built };
  })());
}

export interface WorkerSpec {
  name: string;
  /** Vars: strings as in wrangler [vars] / .dev.vars, or any JSON value (TOML numbers, arrays, tables). */
  bindings?: Record<string, unknown>;
  /** Replace the bundled ONNX bytes and/or manifest text (same build, other model files). */
  onnx?: Uint8Array;
  manifestText?: string;
  kv?: boolean;
  /** Bind an R2 bucket of this name as MODELS (the model registry). */
  r2?: string;
}

export function workerOptions(built: BuiltWorker, spec: WorkerSpec): WorkerOptions {
  return {
    name: spec.name,
    modulesRoot: built.outDir,
    modules: built.modules.map((m) => {
      if (m.type === 'Data' && spec.onnx) return { type: m.type, path: m.path, contents: spec.onnx };
      if (m.type === 'Text' && spec.manifestText !== undefined) return { type: m.type, path: m.path, contents: spec.manifestText };
      return { type: m.type, path: m.path };
    }),
    compatibilityDate: built.compatibilityDate,
    compatibilityFlags: built.compatibilityFlags,
    bindings: spec.bindings ?? {},
    kvNamespaces: spec.kv === false ? undefined : { USER_FEATURES: 'user-features' },
    r2Buckets: spec.r2 ? { MODELS: spec.r2 } : undefined,
  };
}

export interface Harness {
  mf: Miniflare;
  /** workerd's log lines so far (structured: JSON with level and message), oldest first. */
  logs: string[];
  /** The Miniflare entry's URL, for raw HTTP (sockets) against the workers. */
  url: URL;
  fetch(worker: string, path: string, init?: RequestInit): Promise<Response>;
  score(worker: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /**
   * Writes `request` (raw HTTP/1.1 bytes, e.g. a malformed chunked body) to the first worker
   * over a socket, half-closes, and returns everything the server sent back.
   */
  raw(request: string | Uint8Array): Promise<string>;
  dispose(): Promise<void>;
}

export async function startWorkers(built: BuiltWorker, specs: WorkerSpec[]): Promise<Harness> {
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) logs.push(l);
    });
  };
  const mf = new Miniflare({
    workers: specs.map((s) => workerOptions(built, s)),
    structuredWorkerdLogs: true,
    handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
      collect(stdout);
      collect(stderr);
    },
  });
  const url = await mf.ready;
  const workers = new Map<string, Awaited<ReturnType<Miniflare['getWorker']>>>();
  const get = async (name: string) => {
    let w = workers.get(name);
    if (!w) workers.set(name, (w = await mf.getWorker(name)));
    return w;
  };
  const h: Harness = {
    mf,
    logs,
    url,
    async fetch(worker, path, init) {
      const w = await get(worker);
      return (await w.fetch(`http://worker.test${path}`, init as never)) as unknown as Response;
    },
    score(worker, body, headers = {}) {
      return h.fetch(worker, '/v1/score', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    raw(request) {
      return new Promise((ok, bad) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
        let out = '';
        socket.setEncoding('utf8');
        socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
        socket.on('data', (d: string) => (out += d));
        socket.on('close', () => ok(out));
        socket.on('error', (e) => (out ? ok(out) : bad(e)));
      });
    },
    dispose: () => mf.dispose(),
  };
  return h;
}
