// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts): the config patch against
// Miniflare's own serialisation, read back by a decoder written here from the format's spec,
// and the flags reaching a real workerd (--expose-gc makes `gc` a global in the worker).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
// @ts-expect-error -- plain JavaScript module (the wrapper runs it without a TypeScript loader)
import { withV8Flags } from '../scripts/lib/workerd-config-v8-flags.mjs';
import { DEFAULT_WORKERD_V8_FLAGS, useWorkerdV8Flags } from '../scripts/lib/workerd-v8-flags.ts';

const { serializeConfig } = createRequire(import.meta.url)('miniflare') as { serializeConfig(c: unknown): Buffer };
const patch = withV8Flags as (msg: Uint8Array, flags: string[]) => Uint8Array;

interface Segments {
  table: number;
  sizes: number[];
}

function segments(msg: Uint8Array): Segments {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const count = v.getUint32(0, true) + 1;
  return { table: 4 * (1 + count) + (count % 2 === 0 ? 4 : 0), sizes: Array.from({ length: count }, (_, i) => v.getUint32(4 + 4 * i, true)) };
}

function words(msg: Uint8Array) {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const { table } = segments(msg);
  const lo = (w: number) => v.getUint32(table + 8 * w, true);
  const hi = (w: number) => v.getUint32(table + 8 * w + 4, true);
  const target = (w: number) => w + 1 + (lo(w) >> 2);
  // Config's pointer 2 (v8Flags): after the root struct's data words and two pointers.
  return { table, lo, hi, target, v8FlagsWord: target(0) + (hi(0) & 0xffff) + 2 };
}

/** Config.v8Flags of a message whose root struct is in segment 0 (null pointer: []). */
function readV8Flags(msg: Uint8Array): string[] {
  const { table, lo, hi, target, v8FlagsWord: p } = words(msg);
  if (lo(p) === 0 && hi(p) === 0) return [];
  assert.equal(lo(p) & 3, 1, 'v8Flags is a list pointer');
  assert.equal(hi(p) & 7, 6, 'a list of pointers');
  const n = hi(p) >>> 3;
  return Array.from({ length: n }, (_, i) => {
    const e = target(p) + i;
    assert.equal(lo(e) & 3, 1);
    assert.equal(hi(e) & 7, 2, 'a list of bytes');
    const len = hi(e) >>> 3;
    const at = table + 8 * target(e);
    assert.equal(msg[at + len - 1], 0, 'NUL-terminated');
    return new TextDecoder().decode(msg.subarray(at, at + len - 1));
  });
}

const config = (script: string) => serializeConfig({ services: [{ name: 'main', worker: { modules: [{ name: 'w.mjs', esModule: script }], compatibilityDate: '2025-01-01' } }], sockets: [] });

describe('V8 flags in the workerd config', () => {
  test('the flags are read back from the patched message; the rest of it is unchanged', () => {
    const msg = new Uint8Array(config('export default {};'));
    assert.deepEqual(readV8Flags(msg), []);
    const flags = ['--single-threaded-gc', '--expose-gc', '--x'.repeat(5)];
    const out = patch(msg, flags);
    assert.deepEqual(readV8Flags(out), flags);
    const a = segments(msg), b = segments(out);
    // Segment 0 keeps its words and grows by the list (3 pointers) and the texts with their NULs
    // (21, 12 and 16 bytes: 3, 2 and 2 words).
    assert.equal(b.sizes[0], a.sizes[0] + 3 + 3 + 2 + 2);
    const p = words(msg).v8FlagsWord;
    const unchanged = (m: Uint8Array, t: number) => [m.subarray(t, t + 8 * p), m.subarray(t + 8 * (p + 1), t + 8 * a.sizes[0])];
    assert.deepEqual(unchanged(out, b.table), unchanged(msg, a.table), 'every word of segment 0 but the v8Flags pointer');
    assert.deepEqual(patch(msg, []), msg, 'no flags: the message as it was');
    assert.throws(() => patch(out, ['--again']), /already sets v8Flags/);
    assert.throws(() => patch(msg.subarray(0, msg.length - 8), flags), /segment sizes do not add up/);
  });

  test('a message of several segments: segment 0 grows, the others follow unchanged', () => {
    const one = new Uint8Array(config('export default {};'));
    const { table, sizes } = segments(one);
    // The same message with a second segment of 3 words (nothing points into it: still valid).
    const extra = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
    const two = new Uint8Array(16 + 8 * sizes[0] + 24);
    const v = new DataView(two.buffer);
    v.setUint32(0, 1, true);
    v.setUint32(4, sizes[0], true);
    v.setUint32(8, 3, true);
    two.set(one.subarray(table), 16);
    two.set(extra, 16 + 8 * sizes[0]);
    const out = patch(two, ['--single-threaded-gc']);
    assert.deepEqual(readV8Flags(out), ['--single-threaded-gc']);
    const s = segments(out);
    assert.deepEqual(s.sizes, [sizes[0] + 1 + 3, 3]);
    assert.deepEqual(out.subarray(out.length - 24), extra);
  });

  test('the default is --single-threaded-gc through the wrapper; empty means workerd as it is', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.deepEqual(useWorkerdV8Flags(env), [DEFAULT_WORKERD_V8_FLAGS]);
    assert.equal(DEFAULT_WORKERD_V8_FLAGS, '--single-threaded-gc');
    assert.match(env.MINIFLARE_WORKERD_PATH!, /workerd-with-v8-flags\.sh$/);
    assert.match(env.EDGE_MTL_WORKERD_BIN!, /workerd$/);
    // Idempotent: a second call keeps the real binary (not the wrapper).
    const bin = env.EDGE_MTL_WORKERD_BIN;
    useWorkerdV8Flags(env);
    assert.equal(env.EDGE_MTL_WORKERD_BIN, bin);
    env.EDGE_MTL_WORKERD_V8_FLAGS = '';
    assert.deepEqual(useWorkerdV8Flags(env), []);
    assert.equal(env.MINIFLARE_WORKERD_PATH, bin);
  });

  test('the flags reach a real workerd (Miniflare through the wrapper)', async () => {
    const saved = { ...process.env };
    const typeofGc = async (flags: string) => {
      process.env.EDGE_MTL_WORKERD_V8_FLAGS = flags;
      useWorkerdV8Flags();
      const mf = new Miniflare({ modules: true, script: 'export default { async fetch() { return new Response(typeof gc); } };', compatibilityDate: '2025-01-01' });
      try {
        return await (await mf.dispatchFetch('http://localhost/')).text();
      } finally {
        await mf.dispose();
      }
    };
    try {
      assert.equal(await typeofGc('--expose-gc --single-threaded-gc'), 'function');
      assert.equal(await typeofGc(''), 'undefined');
      assert.equal(await typeofGc(DEFAULT_WORKERD_V8_FLAGS), 'undefined');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
