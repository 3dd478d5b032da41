// The kernels' WebAssembly module and memory: the embedded binary (scripts/build-kernels.mjs),
// whether this runtime can run it, its compilation (once per thread) and instantiation over a
// shared memory. The allocator and the kernel wrappers over that memory are in wasm.ts.

import { SIMD_WASM_BASE64 } from './simd-wasm.generated.ts';

// Minimal typing of the WebAssembly JS API: the project's lib (ES2022, no DOM) and @types/node 20
// do not declare it. Module-scoped and erased at compile time; the global object is used at runtime.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(deltaPages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
  function compile(bytes: Uint8Array): Promise<Module>;
  function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
}

export type WasmMemory = WebAssembly.Memory;

let wasmBytes: Uint8Array | undefined;
let modulePromise: Promise<WebAssembly.Module> | undefined;

function bytes(): Uint8Array {
  if (!wasmBytes) {
    const s = atob(SIMD_WASM_BASE64);
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    wasmBytes = u;
  }
  return wasmBytes;
}

/** True when this runtime can run the kernels: WebAssembly with SIMD, threads (shared memory). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function' && WebAssembly.validate(bytes());
  } catch {
    return false;
  }
}

/** An instance of the kernels' module over `memory`; its exports. */
export async function instantiateKernels(memory: WasmMemory): Promise<Record<string, unknown>> {
  modulePromise ??= WebAssembly.compile(bytes());
  const instance = await WebAssembly.instantiate(await modulePromise, { env: { memory } });
  return instance.exports;
}

/**
 * A shared memory of `initial` pages. A shared memory reserves its maximum size of address space
 * up front; without an explicit maximum, 4 GiB is tried first, then smaller sizes where the
 * process cannot reserve that much.
 */
export function newSharedMemory(initial: number, maximum?: number): WebAssembly.Memory {
  const tries = maximum !== undefined ? [maximum] : [65536, 16384, 4096];
  let err: unknown;
  for (const max of tries) {
    try {
      return new WebAssembly.Memory({ initial, maximum: Math.max(initial, max), shared: true });
    } catch (e) {
      err = e;
    }
  }
  throw err;
}
