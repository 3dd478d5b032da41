// The serving graph: the int8 model as onnxruntime optimises it, written once at export so the
// worker's session can skip the optimisation (docs/performance.md, "Session creation, third
// pass": onnxruntime-web spends about a third of creating the default model's session in its
// graph optimisers, in baseline-compiled wasm, on every fresh isolate).
//
// onnxruntime-node runs the optimisers (level "extended": the graph rewrites that are the same
// on every CPU, constant folding included, so DequantizeLinear of constant int8 weights becomes
// a float initializer, as the worker's session config does at load; "all" adds layout
// rewrites for the exporting machine's CPU) and saves the result as ONNX (com.microsoft
// fused ops such as FusedGemm, which onnxruntime-web runs too). The bytes are deterministic for
// the same input. Node only (onnxruntime-node, a temporary file): the worker never imports it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrt, sessionOptionsOf } from './run.ts';

/** The onnxruntime graph optimisation level the serving graph is written at. */
export const SERVING_OPTIMIZATION = 'extended';

/** Which onnxruntime optimised a serving graph (recorded in the manifest). */
export async function optimizerName(): Promise<string> {
  const ort = await loadOrt('node');
  return `onnxruntime-node ${(ort as unknown as { env: { versions?: { common?: string } } }).env.versions?.common ?? 'unknown'}, level ${SERVING_OPTIMIZATION}`;
}

/** `model` (ONNX bytes) after onnxruntime's optimisers, as ONNX bytes, with the session config the worker uses. */
export async function optimizeForServing(model: Uint8Array): Promise<Uint8Array> {
  const ort = await loadOrt('node');
  const dir = mkdtempSync(join(tmpdir(), 'edge-mtl-optimize-'));
  try {
    const out = join(dir, 'optimized.onnx');
    const options = { ...sessionOptionsOf({ runtime: 'node' }), graphOptimizationLevel: SERVING_OPTIMIZATION, optimizedModelFilePath: out };
    let session;
    try {
      session = await ort.InferenceSession.create(model, options as never);
    } catch (e) {
      throw new Error(`onnxruntime could not optimise the model: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
    await session.release();
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
