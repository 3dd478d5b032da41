#!/usr/bin/env node
// Reads a binary workerd config (the Cap'n Proto message Miniflare writes to workerd's stdin)
// and writes it back with V8 flags in its `v8Flags` field: node workerd-config-v8-flags.mjs
// FLAG... < config > patched. Miniflare 4.20260426 has no option for that field; see
// workerd-v8-flags.ts for why the local runtime needs one. Plain JavaScript, no imports, so the
// wrapper starts it in a few tens of milliseconds.
//
// The message format (capnproto.org/encoding.html): a segment table (u32 count - 1, u32 size in
// words of each segment, padded to 8 bytes), then the segments. The root pointer is the first
// word of segment 0; Config's `v8Flags` is its pointer 2 (workerd.capnp: services, sockets,
// v8Flags, ...). The flags are appended to the end of segment 0 as a list of pointers to NUL-
// terminated byte lists, and pointer 2 is pointed at it; nothing else moves, so every other
// pointer (relative within a segment, or far by segment and word) stays valid.

import { readFileSync, writeSync } from 'node:fs';

const V8_FLAGS_POINTER = 2;

/** The config with `flags` in its v8Flags field; throws when the message is not one it can patch. */
export function withV8Flags(msg, flags) {
  if (flags.length === 0) return msg;
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const count = view.getUint32(0, true) + 1;
  const tableBytes = 4 * (1 + count) + (count % 2 === 0 ? 4 : 0);
  const sizes = Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
  if (tableBytes + 8 * sizes.reduce((a, b) => a + b, 0) !== msg.byteLength) throw new Error('not a single Cap\'n Proto message (segment sizes do not add up)');
  const seg0 = tableBytes;
  const word = (i) => [view.getUint32(seg0 + 8 * i, true), view.getUint32(seg0 + 8 * i + 4, true)];
  const [rootLo, rootHi] = word(0);
  if ((rootLo & 3) !== 0) throw new Error('the root pointer is not a struct pointer in segment 0');
  const structAt = 1 + (rootLo >> 2);
  const dataWords = rootHi & 0xffff;
  const pointers = rootHi >>> 16;
  if (pointers <= V8_FLAGS_POINTER) throw new Error(`the root struct has ${pointers} pointers: no v8Flags field`);
  const at = structAt + dataWords + V8_FLAGS_POINTER;
  const [lo, hi] = word(at);
  if (lo !== 0 || hi !== 0) throw new Error('the config already sets v8Flags');

  const texts = flags.map((f) => new TextEncoder().encode(f));
  const textWords = texts.map((t) => Math.ceil((t.length + 1) / 8));
  const added = flags.length + textWords.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(msg.byteLength + 8 * added);
  const o = new DataView(out.buffer);
  out.set(msg.subarray(0, seg0 + 8 * sizes[0]), 0);
  out.set(msg.subarray(seg0 + 8 * sizes[0]), seg0 + 8 * (sizes[0] + added));
  o.setUint32(4, sizes[0] + added, true);
  const put = (i, lo32, hi32) => {
    o.setUint32(seg0 + 8 * i, lo32 >>> 0, true);
    o.setUint32(seg0 + 8 * i + 4, hi32 >>> 0, true);
  };
  // A list pointer: offset in words from the end of the pointer, element size code, count.
  const listPointer = (from, to, elementSize, n) => put(from, ((to - from - 1) << 2) | 1, (n << 3) | elementSize);
  const list = sizes[0];
  listPointer(at, list, 6, flags.length); // 6: pointers
  let next = list + flags.length;
  texts.forEach((t, i) => {
    listPointer(list + i, next, 2, t.length + 1); // 2: bytes, NUL included
    out.set(t, seg0 + 8 * next);
    next += textWords[i];
  });
  return out;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const patched = withV8Flags(new Uint8Array(readFileSync(0)), process.argv.slice(2));
  for (let off = 0; off < patched.length; ) off += writeSync(1, patched, off);
}
