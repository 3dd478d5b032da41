// Running an exported model on an EncodedBatch, in onnxruntime-node (native CPU) or
// onnxruntime-web (the wasm build the edge worker uses, here under Node). Tests, the
// benchmark and the trainer's int8 test metrics use it; the worker has its own loader
// (workerd needs a precompiled wasm module and onnxruntime-web/wasm) but the same inputs
// (inputs.ts).
//
// onnxruntime-web under Node: `import('onnxruntime-web')` resolves (package exports,
// "node" condition) to dist/ort.node.min.mjs, which imports dist/ort-wasm-simd-threaded.mjs
// and reads dist/ort-wasm-simd-threaded.wasm from the package directory itself: no
// wasmPaths or wasmBinary setting is needed. numThreads is set to 1 before the first session
// (the edge has no threads; it must be set before ORT initialises and cannot change after).
//
// Which runtime for int8 test metrics: with the default session config (SESSION_CONFIG,
// inputs.ts) the weight-only int8 model gives the same answers in both (max diff ~1e-7 on
// the trained MMoE), so 'node' (faster) is fine. Without it, onnxruntime-node rewrites some
// DequantizeLinear + MatMul pairs into MatMulNBits and drifts up to 5e-3
// from onnxruntime-web. The dynamic scheme differs between the two by ~3e-4 (other integer
// kernels); measure it with 'web', which is what serves.

import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { feedsOf as inputFeeds, optimizationLevel, SESSION_CONFIG, type TensorMaker } from './inputs.ts';
import { requestFeedsOf, takesRequestInputs } from './request-inputs.ts';

export type OrtRuntime = 'node' | 'web';

export interface RunOptions {
  /** 'node' = onnxruntime-node, 'web' = onnxruntime-web's wasm backend. */
  runtime: OrtRuntime;
  /** onnxruntime-node intra-op threads (default 1). onnxruntime-web always runs 1 thread. */
  threads?: number;
  /** Rows per session.run call when a batch is larger (default 4096). */
  chunkRows?: number;
  /** onnxruntime session config entries (default SESSION_CONFIG of inputs.ts; {} for none). */
  sessionConfig?: Readonly<Record<string, string>>;
  /** The model is a serving graph (optimize.ts): run no graph optimiser on it, as the worker does. */
  preOptimized?: boolean;
}

/** Session options of a runtime (threads, config entries), as createRunner uses them. */
export function sessionOptionsOf(opts: RunOptions): Record<string, unknown> {
  const extra: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(opts.sessionConfig ?? SESSION_CONFIG)) {
    const dot = key.indexOf('.');
    if (dot <= 0) throw new Error(`session config key ${key}: expected <group>.<name>`);
    (extra[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
  }
  const runtime = opts.runtime === 'node' ? { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1 } : { executionProviders: ['wasm'] };
  const base = { ...runtime, graphOptimizationLevel: optimizationLevel(!!opts.preOptimized) };
  return Object.keys(extra).length ? { ...base, extra } : base;
}

export interface OnnxRunner {
  readonly runtime: OrtRuntime;
  /** Task names, in the model's output order. */
  readonly outputNames: readonly string[];
  /** Probabilities of the first batch.n rows, one Float32Array of length n per task. */
  run(batch: EncodedBatch): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

// Both packages expose the onnxruntime-common API; the web typings stand for both.
type Ort = typeof import('onnxruntime-web');
type Tensor = InstanceType<Ort['Tensor']>;

let webOrt: Promise<Ort> | undefined;
let nodeOrt: Promise<Ort> | undefined;

export function loadOrt(runtime: OrtRuntime): Promise<Ort> {
  if (runtime === 'node') return (nodeOrt ??= import('onnxruntime-node') as unknown as Promise<Ort>);
  if (runtime !== 'web') throw new Error(`unknown onnxruntime flavour ${String(runtime)}`);
  return (webOrt ??= import('onnxruntime-web').then((ort) => {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    return ort;
  }));
}

/** onnxruntime tensors of copies of the batch's rows (kernel memory may be shared). */
function copyingTensor(ort: Ort): TensorMaker<Tensor> {
  return (spec, data, dims) => (data instanceof Int32Array ? new ort.Tensor('int32', data.slice(), dims) : new ort.Tensor('float32', data.slice(), dims));
}

/**
 * The input tensors of rows [from, to) of a batch (copies: kernel memory may be shared):
 * inputs.ts's feedsOf with onnxruntime tensors; with the input names of a request-shared model,
 * also its request-level inputs (request-inputs.ts).
 */
export function feedsOf(ort: Ort, layout: FeatureLayout, batch: EncodedBatch, from = 0, to = batch.n, inputNames: readonly string[] = []): Record<string, Tensor> {
  const feeds = inputFeeds(layout, batch, copyingTensor(ort), from, to);
  if (takesRequestInputs(inputNames)) {
    for (const [name, t] of Object.entries(requestFeedsOf(layout, batch, from, to).tensors)) {
      feeds[name] = t.data instanceof Int32Array ? new ort.Tensor('int32', t.data, t.dims) : new ort.Tensor('float32', t.data, t.dims);
    }
  }
  return feeds;
}

export async function createRunner(model: Uint8Array, layout: FeatureLayout, opts: RunOptions): Promise<OnnxRunner> {
  const ort = await loadOrt(opts.runtime);
  const session = await ort.InferenceSession.create(model, sessionOptionsOf(opts) as Parameters<Ort['InferenceSession']['create']>[1]);
  const outputNames = [...session.outputNames];
  const chunk = Math.max(1, opts.chunkRows ?? 4096);
  return {
    runtime: opts.runtime,
    outputNames,
    async run(batch) {
      const n = batch.n;
      const out: Record<string, Float32Array> = Object.fromEntries(outputNames.map((t) => [t, new Float32Array(n)]));
      for (let from = 0; from < n; from += chunk) {
        const to = Math.min(n, from + chunk);
        const feeds = feedsOf(ort, layout, batch, from, to, session.inputNames);
        const res = await session.run(feeds);
        for (const t of outputNames) {
          const data = res[t].data as Float32Array;
          if (data.length !== to - from) throw new Error(`onnx run: output ${t} has ${data.length} values for ${to - from} rows`);
          out[t].set(data, from);
          res[t].dispose();
        }
        for (const f of Object.values(feeds)) f.dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** One-shot: create a session, run one batch, release. */
export async function runOnnx(model: Uint8Array, layout: FeatureLayout, batch: EncodedBatch, opts: RunOptions): Promise<Record<string, Float32Array>> {
  const r = await createRunner(model, layout, opts);
  try {
    return await r.run(batch);
  } finally {
    await r.release();
  }
}
