// The kernels' WebAssembly module and memory: the embedded binary (scripts/build-kernels.mjs),
// whether this runtime can run it, its compilation (once per thread) and instantiation over a
// shared memory. The allocator and the kernel wrappers over that memory are in wasm.ts.

import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './simd-wasm.generated.ts';

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

/**
 * The two builds of the same kernels: 'relaxed-simd' computes its matrix products with fused
 * multiply-adds (one rounding instead of two, so its results differ from 'simd' in the last bits);
 * 'simd' is for runtimes that do not validate relaxed SIMD (Node 20 without
 * --experimental-wasm-relaxed-simd, which model/train/relaxed-simd.ts turns on).
 */
export type KernelBuild = 'relaxed-simd' | 'simd';

const BASE64: Record<KernelBuild, string> = { 'relaxed-simd': RELAXED_SIMD_WASM_BASE64, simd: SIMD_WASM_BASE64 };
const wasmBytes = new Map<KernelBuild, Uint8Array>();
const modules = new Map<KernelBuild, Promise<WebAssembly.Module>>();

function bytes(build: KernelBuild): Uint8Array {
  let u = wasmBytes.get(build);
  if (!u) {
    const s = atob(BASE64[build]);
    u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    wasmBytes.set(build, u);
  }
  return u;
}

function validates(build: KernelBuild): boolean {
  try {
    return typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function' && WebAssembly.validate(bytes(build));
  } catch {
    return false;
  }
}

/** True when this runtime can run the kernels: WebAssembly with SIMD, threads (shared memory). */
export function wasmSimdSupported(): boolean {
  return validates('simd');
}

/** The build this runtime runs best: the fused one where it validates (asked anew each time, so a flag set later counts). */
export function preferredBuild(): KernelBuild {
  return validates('relaxed-simd') ? 'relaxed-simd' : 'simd';
}

/** An instance of the kernels' module (`build`, by default the preferred one) over `memory`; its exports. */
export async function instantiateKernels(memory: WasmMemory, build: KernelBuild = preferredBuild()): Promise<Record<string, unknown>> {
  if (!validates(build)) throw new Error(`wasm kernels: this runtime does not validate the ${build} build`);
  let m = modules.get(build);
  if (!m) modules.set(build, (m = WebAssembly.compile(bytes(build))));
  const instance = await WebAssembly.instantiate(await m, { env: { memory } });
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
