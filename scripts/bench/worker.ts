// The real worker bundle (wrangler deploy --dry-run, scripts/build-worker.ts) in workerd via
// Miniflare, set up for the benchmark: wrangler.toml's [vars] as bindings (as deployed), the
// KV binding, and BENCH_ROUTES="1" (functions/bench.ts: /__bench/noop, /__bench/infer).
//
// Two workers can share one Miniflare instance: "int8" is the bundle as built (what serves);
// "fp32" is the same bundle with the ONNX data module replaced by model.onnx and the manifest's
// files.int8 record pointed at that file (and no files.serving; the worker checks size and
// sha256 of what it loads),
// so onnxruntime-web inside workerd runs the fp32 graph without a second wrangler build.

import { join } from 'node:path';
import { Miniflare, type WorkerOptions } from 'miniflare';
import type { BuiltWorker } from '../build-worker.ts';
import { ROOT } from '../build-worker.ts';
import type { OnnxFileRecord } from '../../model/manifest.ts';
import { int8Manifest, type BenchModel } from './model.ts';
import { useWorkerdV8Flags } from '../lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

export type Quant = 'int8' | 'fp32';

async function wranglerVars(): Promise<Record<string, string>> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: { vars?: Record<string, unknown> } };
  };
  const vars = experimental_readRawConfig({ config: join(ROOT, 'wrangler.toml') }).rawConfig.vars ?? {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export async function benchWorkerOptions(built: BuiltWorker, model: BenchModel, quant: Quant): Promise<WorkerOptions> {
  if (quant === 'int8') return benchWorkerVariant(built, quant, null);
  const m = model.manifest as { files?: { onnx?: unknown } };
  if (!m.files?.onnx) throw new Error('the manifest has no files.onnx record (fp32)');
  return benchWorkerVariant(built, quant, { manifest: model.manifest, onnx: model.fp32, record: m.files.onnx });
}

/**
 * The built bundle as a Miniflare worker called `name` (routes http://<name>.bench/*), with
 * `swap` its ONNX data module replaced by other bytes and the manifest's files.int8 record by
 * `record` (the worker checks size and sha256 of what it loads): the same code serving another
 * export of the model, without a second wrangler build.
 */
export async function benchWorkerVariant(built: BuiltWorker, name: string, swap: { manifest: unknown; onnx: Uint8Array; record: unknown } | null): Promise<WorkerOptions> {
  const bindings = { ...(await wranglerVars()), BENCH_ROUTES: '1' };
  let manifestText: string | undefined;
  if (swap) {
    // Served as files.int8 (model/manifest.ts servedFile), with the session's own optimisers.
    const m = int8Manifest(swap.manifest);
    m.files.int8 = swap.record as OnnxFileRecord;
    manifestText = JSON.stringify(m);
  }
  return {
    name,
    // dispatchFetch picks the worker by host: http://<name>.bench/...
    routes: [`${name}.bench/*`],
    modulesRoot: built.outDir,
    modules: built.modules.map((mod) => {
      if (swap && mod.type === 'Data') return { type: mod.type, path: mod.path, contents: swap.onnx };
      if (swap && mod.type === 'Text') return { type: mod.type, path: mod.path, contents: manifestText! };
      return { type: mod.type, path: mod.path };
    }),
    compatibilityDate: built.compatibilityDate,
    compatibilityFlags: built.compatibilityFlags,
    bindings,
    kvNamespaces: { USER_FEATURES: 'bench-user-features' },
  };
}

export interface BenchWorkers {
  mf: Miniflare;
  /** A request to worker `name` (mf.dispatchFetch: Node -> HTTP on loopback -> workerd's entry -> the worker). */
  fetch(name: Quant, path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startBenchWorkers(built: BuiltWorker, model: BenchModel, quants: Quant[]): Promise<BenchWorkers> {
  const mf = new Miniflare({ workers: await Promise.all(quants.map((q) => benchWorkerOptions(built, model, q))) });
  await mf.ready;
  return {
    mf,
    fetch: async (name, path, init) => (await mf.dispatchFetch(`http://${name}.bench${path}`, init as never)) as unknown as Response,
    dispose: () => mf.dispose(),
  };
}

export const jsonPost = (body: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** Fetches and reads the whole body; throws unless the status is `expect`. */
export async function fetchText(w: BenchWorkers, name: Quant, path: string, init: RequestInit | undefined, expect: number): Promise<{ text: string; res: Response }> {
  const res = await w.fetch(name, path, init);
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${name} ${path}: status ${res.status} (expected ${expect}): ${text.slice(0, 300)}`);
  return { text, res };
}
