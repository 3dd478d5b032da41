// The shared memory of the WASM kernels and the arrays in it: allocation, views, addresses,
// and the copy-through path for arrays that live elsewhere. The kernels themselves (wasm.ts)
// extend this class.
//
// Memory model
// - One SHARED WebAssembly.Memory holds every array the kernels touch. Shared buffers never
//   detach when the memory grows, so Float32Array views handed out by alloc() stay valid for
//   the life of the process, and a worker_thread can instantiate the same module over the same
//   memory (createWasmKernels({ memory })) and see the same parameters.
// - Page 0 is reserved: the AssemblyScript module has no heap and no static data of its own
//   (checked against its __heap_base at start-up); the last 64 bytes of page 0 hold the
//   allocator header. The heap starts at 64 KiB.
// - alloc() is a bump allocator whose pointer lives in the header and is advanced with
//   Atomics.add, so instances in several threads can allocate concurrently without overlap.
//   Every allocation is 64-byte aligned and zeroed (memory is never reused). Nothing is freed.
// - Kernel calls pass byteOffsets as pointers. An array that is not a view of this memory is
//   copied through a per-instance scratch area (correct, slower). Views made in another thread
//   from a posted byte offset should be created with viewF32()/viewI32() so they are recognised.

import type { WasmMemory } from './wasm-module.ts';

const PAGE = 65536;
/** Allocator header (in page 0, above the module's __heap_base): u32 [magic, bump pointer]. */
const HEADER = PAGE - 64;
const MAGIC = 0x4b4e4c31; // 'KNL1'
const HEAP_START = PAGE;
export const ALIGN = 64;
/** Elements per operand per chunk in the copy-through path of the element-wise kernels. */
const CHUNK = 16384;
const MIN_GROW_PAGES = 16;

/** Buffers (one per size the memory has had, per thread) known to belong to a memory. */
const knownBuffers = new WeakMap<WasmMemory, WeakSet<ArrayBufferLike>>();

export class WasmHeap {
  private readonly header: Uint32Array;
  private readonly known: WeakSet<ArrayBufferLike>;
  private scratchPtr = 0;
  private scratchBytes = 0;
  fallbackCopies = 0;

  /** `heapBase`: the module's __heap_base (its static data must stay below the allocator header). */
  constructor(
    readonly memory: WasmMemory,
    heapBase: number,
  ) {
    if (heapBase > HEADER) throw new Error(`wasm kernels: module static data (${heapBase} bytes) overlaps the allocator header`);
    let known = knownBuffers.get(memory);
    if (!known) knownBuffers.set(memory, (known = new WeakSet()));
    this.known = known;
    this.header = new Uint32Array(memory.buffer, HEADER, 2);
    const magic = Atomics.compareExchange(this.header, 0, 0, MAGIC);
    if (magic !== 0 && magic !== MAGIC) throw new Error('wasm kernels: memory header holds foreign data');
    Atomics.compareExchange(this.header, 1, 0, HEAP_START);
  }

  private allocBytes(nbytes: number): number {
    if (!(nbytes >= 0) || !Number.isFinite(nbytes)) throw new RangeError(`alloc: bad size ${nbytes}`);
    const size = Math.ceil(nbytes / ALIGN) * ALIGN;
    if (size > 0xffffffff - HEAP_START) throw new RangeError(`alloc: ${nbytes} bytes exceed the 4 GiB wasm32 address space`);
    const ptr = Atomics.add(this.header, 1, size);
    const end = ptr + size;
    if (end > 0x100000000) throw new RangeError(`alloc: wasm kernel memory exhausted (${nbytes} bytes requested at ${ptr})`);
    this.ensure(end);
    return ptr;
  }

  private ensure(end: number): void {
    for (;;) {
      const have = this.memory.buffer.byteLength;
      if (have >= end) return;
      const pages = Math.max(MIN_GROW_PAGES, Math.ceil((end - have) / PAGE));
      try {
        this.memory.grow(pages);
      } catch (e) {
        // Another thread may have grown it meanwhile; retry with the exact need before giving up.
        const now = this.memory.buffer.byteLength;
        if (now >= end) return;
        try {
          this.memory.grow(Math.ceil((end - now) / PAGE));
        } catch {
          throw new RangeError(`wasm kernel memory cannot grow to ${end} bytes (${String(e)})`);
        }
      }
    }
  }

  protected buffer(): ArrayBufferLike {
    const buf = this.memory.buffer;
    this.known.add(buf);
    return buf;
  }

  alloc(length: number): Float32Array {
    const ptr = this.allocBytes(length * 4);
    return new Float32Array(this.buffer(), ptr, length);
  }

  allocInt(length: number): Int32Array {
    const ptr = this.allocBytes(length * 4);
    return new Int32Array(this.buffer(), ptr, length);
  }

  viewF32(byteOffset: number, length: number): Float32Array {
    return new Float32Array(this.buffer(), byteOffset, length);
  }

  viewI32(byteOffset: number, length: number): Int32Array {
    return new Int32Array(this.buffer(), byteOffset, length);
  }

  addressOf(arr: Float32Array | Int32Array): number {
    const buf = arr.buffer;
    if (this.known.has(buf)) return arr.byteOffset;
    if (buf === this.memory.buffer) {
      this.known.add(buf);
      return arr.byteOffset;
    }
    return -1;
  }

  /** Per-instance scratch of at least nbytes (never shared between threads: each instance has its own). */
  protected scratch(nbytes: number): number {
    if (nbytes > this.scratchBytes) {
      const cap = Math.max(nbytes, 2 * this.scratchBytes, 4 * CHUNK * 4);
      this.scratchPtr = this.allocBytes(cap);
      this.scratchBytes = Math.ceil(cap / ALIGN) * ALIGN;
    }
    return this.scratchPtr;
  }

  /**
   * Copy-through path for operands outside the memory: `ops` are [array, length, mode] with mode
   * 1 = read, 2 = written, 3 = both; `extra` bytes of scratch come first (for B packing).
   */
  protected withCopies(ops: [Float32Array, number, number][], extra: number, call: (ptrs: number[], extraPtr: number) => void): void {
    this.fallbackCopies++;
    const ptrs: number[] = [];
    let need = extra;
    for (const [arr, len] of ops) if (this.addressOf(arr) < 0) need += Math.ceil((len * 4) / ALIGN) * ALIGN;
    const base = this.scratch(need);
    const buf = this.buffer();
    let s = base + extra;
    for (const [arr, len, mode] of ops) {
      const p = this.addressOf(arr);
      if (p >= 0) {
        ptrs.push(p);
        continue;
      }
      if (mode & 1) new Float32Array(buf, s, len).set(arr.subarray(0, len));
      ptrs.push(s);
      s += Math.ceil((len * 4) / ALIGN) * ALIGN;
    }
    call(ptrs, base);
    for (let i = 0; i < ops.length; i++) {
      const [arr, len, mode] = ops[i];
      if (mode & 2 && this.addressOf(arr) < 0) arr.set(new Float32Array(buf, ptrs[i], len));
    }
  }

  /** Chunked copy-through for element-wise kernels (bounded scratch for any length). */
  protected chunked(len: number, ops: [Float32Array, number][], call: (ptrs: number[], n: number) => void): void {
    this.fallbackCopies++;
    const slot = CHUNK * 4;
    const base = this.scratch(ops.length * slot);
    const buf = this.buffer();
    const addr = ops.map(([arr]) => this.addressOf(arr));
    const ptrs = new Array<number>(ops.length);
    for (let off = 0; off < len; off += CHUNK) {
      const n = Math.min(CHUNK, len - off);
      for (let i = 0; i < ops.length; i++) {
        const [arr, mode] = ops[i];
        if (addr[i] >= 0) ptrs[i] = addr[i] + off * 4;
        else {
          ptrs[i] = base + i * slot;
          if (mode & 1) new Float32Array(buf, ptrs[i], n).set(arr.subarray(off, off + n));
        }
      }
      call(ptrs, n);
      for (let i = 0; i < ops.length; i++) {
        const [arr, mode] = ops[i];
        if (addr[i] < 0 && mode & 2) arr.set(new Float32Array(buf, ptrs[i], n), off);
      }
    }
  }
}
