// The weights file format (weights.bin): a little-endian uint32 header length, a JSON header
// naming every parameter with its shape and float offset, then the float32 values. Loading
// fills the parameters of a freshly built graph by name, so a checkpoint that does not match
// the architecture is refused with the name that is missing or mis-shaped. Training writes
// it, export reads it: it lives with the parameters, below both.

import { paramEntries, type Params } from './params.ts';

const MAGIC = 'edge-mtl-weights/1';

interface Entry {
  name: string;
  shape: number[];
  offset: number;
}

export function serializeWeights(p: Params): Uint8Array {
  let offset = 0;
  const list = paramEntries(p);
  const header: Entry[] = list.map((e) => {
    const h = { name: e.name, shape: e.shape, offset };
    offset += e.data.length;
    return h;
  });
  const json = new TextEncoder().encode(JSON.stringify({ format: MAGIC, params: header, floats: offset }));
  const pad = (4 - ((4 + json.length) % 4)) % 4;
  const start = 4 + json.length + pad;
  const out = new Uint8Array(start + offset * 4);
  new DataView(out.buffer).setUint32(0, json.length + pad, true);
  out.set(json, 4);
  out.fill(0x20, 4 + json.length, start);
  const floats = new Float32Array(out.buffer, start, offset);
  list.forEach((e, i) => floats.set(e.data, header[i].offset));
  return out;
}

export function loadWeights(bytes: Uint8Array, p: Params): void {
  const fail = (why: string): never => {
    throw new Error(`corrupt or mismatched checkpoint: ${why}`);
  };
  if (bytes.length < 8) fail('file too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = view.getUint32(0, true);
  if (4 + hlen > bytes.length) fail('header length beyond end of file');
  let header: { format?: string; params?: Entry[]; floats?: number };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + hlen)));
  } catch {
    return fail('header is not JSON');
  }
  if (header.format !== MAGIC || !Array.isArray(header.params)) fail('unknown format');
  const start = 4 + hlen;
  if (bytes.length !== start + (header.floats ?? -1) * 4) fail('file size does not match its header (truncated?)');
  const copy = bytes.slice(start); // aligned copy
  const floats = new Float32Array(copy.buffer, 0, header.floats!);
  const byName = new Map(header.params!.map((e) => [e.name, e]));
  for (const e of paramEntries(p)) {
    const h = byName.get(e.name) ?? fail(`parameter ${e.name} is missing`);
    if (h.shape.join('x') !== e.shape.join('x')) fail(`parameter ${e.name} has shape ${h.shape.join('x')}, expected ${e.shape.join('x')}`);
    e.data.set(floats.subarray(h.offset, h.offset + e.data.length));
  }
  for (const e of paramEntries(p)) for (const x of e.data) if (!Number.isFinite(x)) fail(`parameter ${e.name} holds a non-finite value`);
}
