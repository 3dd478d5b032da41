// Lets training run the fused multiply-add build of its kernels on Node 20. V8 11.3 (Node 20)
// implements WebAssembly relaxed SIMD behind --experimental-wasm-relaxed-simd; V8 11.4 and later
// (Node 22) ship it, so there the flag is not set. Imported for its effect by the trainer, before
// any kernels are created; V8's flags are per process, so worker threads started later see it.
// The flag only makes the relaxed-SIMD module validate: nothing else changes.

import { setFlagsFromString } from 'node:v8';
import { preferredBuild, wasmSimdSupported } from '../engine/kernels/wasm-module.ts';

if (wasmSimdSupported() && preferredBuild() !== 'relaxed-simd') setFlagsFromString('--experimental-wasm-relaxed-simd');
