// Reading a JSON request body with limits:
//  - 415 unless Content-Type is application/json, or when Content-Encoding is not one of
//    identity, gzip, deflate (the message names the encoding);
//  - 413 when Content-Length announces more than the limit (nothing is read) or when more
//    bytes than the limit actually arrive, counted AFTER decompression for gzip / deflate
//    bodies (nothing past the limit is kept: a small zip bomb is cut off at the limit);
//  - 400 invalid_body when the bytes cannot be read (the client aborted, a malformed chunk,
//    a corrupt gzip stream): the client's fault, so no error-level log line;
//  - 400 invalid_json when the bytes are not UTF-8 JSON.

import { ApiError, clip } from './errors.ts';

export function isJsonContentType(ct: string | null | undefined): boolean {
  if (!ct) return false;
  const media = ct.split(';', 1)[0].trim().toLowerCase();
  return media === 'application/json';
}

/** The DecompressionStream format of a Content-Encoding, null for identity; 415 otherwise. */
export function decompressionOf(encoding: string | null): 'gzip' | 'deflate' | null {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return null;
  if (e === 'gzip' || e === 'x-gzip') return 'gzip';
  if (e === 'deflate') return 'deflate';
  throw new ApiError(415, 'unsupported_media_type', `Content-Encoding ${clip(encoding ?? '')} is not supported; send identity, gzip or deflate`);
}

/**
 * Past the limit, up to this many more bytes are read and dropped (not parsed, not kept)
 * before answering 413, so a client still sending gets its response instead of a reset
 * connection; beyond that the stream is cancelled.
 */
const DRAIN_BYTES = 1 << 20;

function unreadable(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(400, 'invalid_body', `the body could not be read (${clip(e instanceof Error ? e.message : String(e))})`);
}

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

/**
 * Reads and drops up to DRAIN_BYTES of a body nobody read (an answer given before reading:
 * 401, 404, 415, 413 by Content-Length), so a client still sending it gets that answer
 * instead of a reset connection; beyond that the stream is cancelled.
 */
export async function drainUnread(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = req.body.getReader();
  } catch {
    return; // locked: someone is reading it
  }
  await discardRest(reader, 0, DRAIN_BYTES);
}

function tooLarge(limit: number, decoded: boolean): ApiError {
  return new ApiError(413, 'payload_too_large', `body exceeds the limit of ${limit} bytes${decoded ? ' once decompressed' : ''}`);
}

/** Every byte of `stream`, at most `limit` of them (413 past it); read errors are 400 invalid_body. */
async function readLimited(stream: ReadableStream<Uint8Array>, limit: number, decoded: boolean): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        // A decompressed stream is not drained (its size is the attacker's choice): it is
        // cancelled, and decompressLimited drains the compressed upload instead.
        if (decoded) await reader.cancel().catch(() => undefined);
        else await discardRest(reader, total, limit + DRAIN_BYTES);
        throw tooLarge(limit, decoded);
      }
      chunks.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    throw unreadable(e);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  return bytes;
}

/** The body's bytes (decompressed) under the limits above; no JSON parsing. */
/**
 * The decompressed bytes of a gzip / deflate body, at most `limit` of them. The compressed
 * bytes are fed in by hand rather than piped, so that when the output goes past the limit
 * (or is corrupt) decompression stops and the rest of the compressed upload can still be
 * drained like a plain one: the client gets its 413 / 400 instead of a reset connection.
 */
async function decompressLimited(body: ReadableStream<Uint8Array>, format: 'gzip' | 'deflate', limit: number): Promise<Uint8Array> {
  const ds = new DecompressionStream(format);
  const raw = body.getReader();
  const writer = ds.writable.getWriter();
  let rawSeen = 0;
  let stop = false;
  const pump = (async () => {
    try {
      for (;;) {
        if (stop) return;
        const { done, value } = await raw.read();
        if (done) return await writer.close();
        rawSeen += value.byteLength;
        await writer.write(value);
      }
    } catch (e) {
      // A read error (client gone) ends the output with it; a write error means the output
      // side was cancelled (limit reached): nothing more to do here.
      await writer.abort(e).catch(() => undefined);
    }
  })();
  try {
    return await readLimited(ds.readable as ReadableStream<Uint8Array>, limit, true);
  } catch (e) {
    stop = true;
    await pump;
    await discardRest(raw, rawSeen, rawSeen + DRAIN_BYTES);
    throw e;
  }
}

export async function readBodyBytes(req: Request, limit: number): Promise<Uint8Array> {
  const ct = req.headers.get('content-type');
  if (!isJsonContentType(ct)) {
    throw new ApiError(415, 'unsupported_media_type', ct ? `Content-Type ${clip(ct)} is not supported; send application/json` : 'Content-Type is missing; send application/json');
  }
  const format = decompressionOf(req.headers.get('content-encoding'));
  const declared = req.headers.get('content-length');
  const declaredOk = declared !== null && /^\d+$/.test(declared.trim());
  if (declaredOk && Number(declared) > limit) {
    throw new ApiError(413, 'payload_too_large', `body of ${declared.trim()} bytes exceeds the limit of ${limit} bytes`);
  }
  if (!req.body) return new Uint8Array(0);
  if (format) {
    return decompressLimited(req.body, format, limit);
  }
  if (declaredOk) {
    // The length is known and within the limit (HTTP framing ends the body there): read it in
    // one call instead of chunk by chunk.
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await req.arrayBuffer());
    } catch (e) {
      throw unreadable(e);
    }
    if (bytes.byteLength > limit) throw tooLarge(limit, false);
    return bytes;
  }
  return readLimited(req.body, limit, false);
}

export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  return parseBody(await readBodyBytes(req, limit));
}

/** UTF-8 JSON bytes -> value; 400 invalid_json otherwise. */
export function parseBody(bytes: Uint8Array): unknown {
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
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${clip(e instanceof Error ? e.message : String(e), 200)}`);
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
