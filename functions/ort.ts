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
import { optimizationLevel, SESSION_EXTRA } from '../model/onnx/inputs.ts';
import { runtimeWarmupModel } from './runtime-warmup-model.ts';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export const Tensor = ort.Tensor;

const SENTINEL = new ArrayBuffer(8);
let configured = false;

/** ms spent instantiating ORT's wasm module (once per isolate; 0 until it happened; 0 also when it happened in the global scope, whose clock does not move). */
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
        ortTimings.instantiateMs += performance.now() - t0;
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
 * weights folded once at session start instead of on every run). A pre-optimised model (the
 * export's serving graph, model/onnx/optimize.ts) runs no graph optimiser: onnxruntime already
 * ran them at export, and running them again took about a third of the session's creation.
 * Waits for startRuntime's session if one is being created (one runtime start at a time).
 */
export async function createSession(model: Uint8Array, preOptimized = false): Promise<OrtSession> {
  if (runtime) await runtime;
  return sessionOf(model, preOptimized);
}

function sessionOf(model: Uint8Array, preOptimized: boolean): Promise<OrtSession> {
  configure();
  return ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: optimizationLevel(preOptimized),
    extra: SESSION_EXTRA,
  });
}

let runtime: Promise<void> | null = null;
let runtimeReady = false;

/**
 * Starts onnxruntime-web on a one-node model (runtime-warmup-model.ts), once per isolate:
 * its wasm instance, its environment and kernel registry, and the first run of its session
 * and run code, which executes in V8's baseline-compiled wasm the first time (measured: the
 * cost is that execution, not compilation). That start is the same for every model and was
 * about half of the first request of a fresh isolate (docs/performance.md, "Session
 * creation, second pass"), so index.ts calls this in the global scope:
 * the isolate pays it while it starts (within the platform's start-up budget) rather than
 * in the first request, for whichever model that request needs (the bundled one or a
 * version from the registry). Never rejects: a runtime that cannot start fails again, with
 * its reason, when the real session is created.
 */
export function startRuntime(): Promise<void> {
  runtime ??= (async () => {
    try {
      const s = await sessionOf(runtimeWarmupModel(), false);
      try {
        const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(0.5), [1]) });
        if ((out.y?.data as Float32Array | undefined)?.[0] !== 0.5) throw new Error('the warm-up model did not return its input');
      } finally {
        await s.release();
      }
      runtimeReady = true;
    } catch (e) {
      console.error(`onnxruntime did not start in the global scope: ${e instanceof Error ? e.message : String(e)}`);
    }
  })();
  return runtime;
}

/** Whether startRuntime has finished and its model ran (the load timings report it). */
export function isRuntimeReady(): boolean {
  return runtimeReady;
}
