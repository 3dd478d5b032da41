// onnxruntime-web inside workerd (see /work/shared/notes/edge-runtime.md):
//  - the ORT wasm is imported as a precompiled WebAssembly.Module (wrangler CompiledWasm rule),
//    because workerd forbids compiling wasm from bytes at run time;
//  - ORT's Emscripten glue only accepts bytes (env.wasm.wasmBinary) and instantiates them with
//    WebAssembly.instantiate, so we hand it a sentinel buffer and route an instantiate call on
//    that sentinel to the imported Module;
//  - one thread, no proxy worker (workerd has neither).
// This depends on ORT internals: onnxruntime-web is pinned exactly and a test runs a real
// session inside workerd.

import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { SESSION_EXTRA } from '../model/onnx/inputs.ts';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export const Tensor = ort.Tensor;

const SENTINEL = new ArrayBuffer(8);
let configured = false;

/** ms spent instantiating ORT's wasm module (once per isolate; 0 until it happened). */
export const ortTimings = { instantiateMs: 0 };

function isSentinel(source: unknown): boolean {
  if (source === SENTINEL) return true;
  return ArrayBuffer.isView(source) && source.buffer === SENTINEL;
}

function configure(): void {
  if (configured) return;
  configured = true;
  const original = WebAssembly.instantiate;
  const patched = function instantiate(source: unknown, imports?: WebAssembly.Imports): Promise<unknown> {
    if (isSentinel(source)) {
      const t0 = performance.now();
      return original.call(WebAssembly, ortWasm, imports).then((instance: WebAssembly.Instance) => {
        ortTimings.instantiateMs = performance.now() - t0;
        return { instance, module: ortWasm };
      });
    }
    return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>).call(WebAssembly, source, imports);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  ort.env.wasm.wasmBinary = SENTINEL;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

/**
 * Creates an inference session on the WASM backend from the model bytes, with the session
 * config the exporter prescribes (model/onnx/inputs.ts: DequantizeLinear of constant int8
 * weights folded once at session start instead of on every run).
 */
export async function createSession(model: Uint8Array): Promise<OrtSession> {
  configure();
  return ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    extra: SESSION_EXTRA,
  });
}
