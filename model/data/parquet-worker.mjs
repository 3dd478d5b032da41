// Parquet reading off the main thread. hyparquet's API is asynchronous but DataSource.examples()
// is a synchronous generator, so parquet.ts posts one request at a time and blocks on
// Atomics.wait until this worker has posted the answer and flipped the shared flag.
// Plain JavaScript: it needs no TypeScript loader.

import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { workerData } from 'node:worker_threads';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';

const { port, flag } = workerData;

// hyparquet decodes SNAPPY and UNCOMPRESSED itself; node's zlib adds the other common codecs.
const compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};

/** path -> { file, metadata }, so each request does not re-read the footer. */
const open = new Map();

async function fileOf(path) {
  let f = open.get(path);
  if (!f) {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    f = { file, metadata };
    open.set(path, f);
  }
  return f;
}

async function handle(req) {
  const { file, metadata } = await fileOf(req.path);
  if (req.op === 'meta') {
    return {
      columns: parquetSchema(metadata).children.map((c) => c.element.name),
      rowGroups: metadata.row_groups.map((g) => Number(g.num_rows)),
    };
  }
  if (req.op === 'rows') {
    let rows = [];
    await parquetRead({
      file,
      metadata,
      compressors,
      rowStart: req.rowStart,
      rowEnd: req.rowEnd,
      rowFormat: 'array',
      onComplete: (r) => (rows = r),
    });
    return rows;
  }
  if (req.op === 'close') {
    open.delete(req.path);
    return null;
  }
  throw new Error(`unknown request ${req.op}`);
}

port.on('message', async (req) => {
  let reply;
  try {
    reply = { ok: true, result: await handle(req) };
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  try {
    port.postMessage(reply);
  } catch (e) {
    port.postMessage({ ok: false, error: `cannot pass the rows back: ${e instanceof Error ? e.message : String(e)}` });
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
