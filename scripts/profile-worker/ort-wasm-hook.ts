// onnxruntime-web's wasm as a precompiled module, as wrangler's CompiledWasm rule gives it to
// the worker: a resolve/load hook maps the import in functions/ort.ts to a module whose default
// export is `new WebAssembly.Module(bytes)`. Imported (for its effect) before anything from
// functions/ loads.

import { register } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../build-worker.ts';

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

