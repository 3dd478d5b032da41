// Kernel selection. The engine calls createKernels() once and only uses the Kernels interface.

import { createJsKernels } from './js.ts';
import type { Kernels } from './types.ts';
import { createWasmKernels, wasmSimdSupported } from './wasm.ts';

export type { Kernels } from './types.ts';
export { createJsKernels } from './js.ts';
export { createWasmKernels, preferredBuild, wasmSimdSupported, type KernelBuild, type WasmKernels, type WasmKernelOptions, type WasmMemory } from './wasm.ts';

export type KernelKind = 'js' | 'wasm-simd' | 'auto';

/** 'auto' (default): wasm-simd when this runtime validates the SIMD + shared-memory module, else js. */
export async function createKernels(kind: KernelKind = 'auto'): Promise<Kernels> {
  if (kind === 'js') return createJsKernels();
  if (kind === 'wasm-simd') return createWasmKernels();
  if (kind !== 'auto') throw new Error(`unknown kernel kind ${String(kind)}`);
  if (!wasmSimdSupported()) return createJsKernels();
  try {
    return await createWasmKernels();
  } catch {
    return createJsKernels();
  }
}
