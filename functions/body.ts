// Reading a JSON request body with limits: 415 unless Content-Type is application/json,
// 413 when Content-Length announces more than the limit (nothing is read) or when more bytes
// than the limit actually arrive (nothing past the limit is kept), 400 when the bytes are
// not UTF-8 JSON.

import { ApiError } from './errors.ts';

export function isJsonContentType(ct: string | null | undefined): boolean {
  if (!ct) return false;
  const media = ct.split(';', 1)[0].trim().toLowerCase();
  return media === 'application/json';
}

/**
 * Past the limit, up to this many more bytes are read and dropped (not parsed, not kept)
 * before answering 413, so a client still sending gets its response instead of a reset
 * connection; beyond that the stream is cancelled.
 */
const DRAIN_BYTES = 1 << 20;

async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, seen: number, cap: number): Promise<void> {
  try {
    while (seen <= cap) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing to do.
  }
}

export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const ct = req.headers.get('content-type');
  if (!isJsonContentType(ct)) {
    throw new ApiError(415, 'unsupported_media_type', ct ? `Content-Type ${ct} is not supported; send application/json` : 'Content-Type is missing; send application/json');
  }
  const declared = req.headers.get('content-length');
  const declaredOk = declared !== null && /^\d+$/.test(declared.trim());
  if (declaredOk && Number(declared) > limit) {
    throw new ApiError(413, 'payload_too_large', `body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  if (!req.body) throw new ApiError(400, 'invalid_json', 'the body is empty; expected a JSON object');
  if (declaredOk) {
    // The length is known and within the limit (HTTP framing ends the body there): read it in
    // one call instead of chunk by chunk.
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > limit) throw new ApiError(413, 'payload_too_large', `body exceeds the limit of ${limit} bytes`);
    return parseBody(bytes);
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await discardRest(reader, total, limit + DRAIN_BYTES);
      throw new ApiError(413, 'payload_too_large', `body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = chunks.length === 1 ? chunks[0] : new Uint8Array(total);
  if (chunks.length !== 1) {
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.byteLength;
    }
  }
  return parseBody(bytes);
}

function parseBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw new ApiError(400, 'invalid_json', 'the body is empty; expected a JSON object');
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid UTF-8');
  }
  try {
    return parseJsonText(text);
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// Named, so CPU profiles (scripts/profile-worker.ts) show decoding and parsing as their own
// frames rather than as self time of readJsonBody.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

function parseJsonText(text: string): unknown {
  return JSON.parse(text);
}
