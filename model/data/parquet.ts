// --data parquet:PATH --schema SCHEMA.json: a Parquet file as a data source, read with hyparquet
// (pure JavaScript) one row group at a time, so memory holds one row group, not the file.
//
// hyparquet is asynchronous and DataSource.examples() is synchronous; a worker thread does the
// reading (parquet-worker.mjs) and this side waits for each answer with Atomics.wait, then takes
// the message with receiveMessageOnPort. Codecs: uncompressed, snappy, gzip, brotli (zstd and
// lz4 files fail with a clear error from the reader).

import { statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { TableSchema } from './schema.ts';
import { TableSource, type TableOptions, type TableReader, type TableRecord } from './table/source.ts';
import type { Cell } from './table/cells.ts';
import { requireFile } from './table/require-file.ts';

/** How long one row group may take to read before the reader is presumed dead. */
const ANSWER_TIMEOUT_MS = 10 * 60_000;

class ParquetBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private dead: string | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./parquet-worker.mjs', import.meta.url), {
      workerData: { port: port2, flag: this.flag },
      transferList: [port2],
    });
    // Never keeps the process alive: the bridge is used synchronously or not at all.
    this.worker.unref();
    this.port.unref();
    this.worker.on('error', (e) => (this.dead = e.message));
    this.worker.on('exit', () => (this.dead ??= 'exited'));
  }

  call<T>(req: Record<string, unknown>): T {
    if (this.dead) throw new Error(`the Parquet reader thread stopped (${this.dead})`);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    if (Atomics.wait(this.flag, 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`the Parquet reader thread did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
    }
    const msg = receiveMessageOnPort(this.port);
    if (!msg) throw new Error('the Parquet reader thread signalled without an answer');
    const reply = msg.message as { ok: true; result: T } | { ok: false; error: string };
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  }
}

let bridge: ParquetBridge | undefined;

class ParquetTable implements TableReader {
  readonly columns: readonly string[];
  private readonly rowGroups: number[];
  constructor(readonly path: string) {
    bridge ??= new ParquetBridge();
    let meta: { columns: string[]; rowGroups: number[] };
    try {
      meta = bridge.call({ op: 'meta', path });
    } catch (e) {
      throw new Error(`${path} is not a readable Parquet file: ${(e as Error).message}`);
    }
    this.columns = meta.columns;
    this.rowGroups = meta.rowGroups;
  }

  *records(): Generator<TableRecord> {
    let start = 0;
    for (const n of this.rowGroups) {
      let rows: Cell[][];
      try {
        rows = bridge!.call<Cell[][]>({ op: 'rows', path: this.path, rowStart: start, rowEnd: start + n });
      } catch (e) {
        throw new Error(`${this.path}: cannot read rows ${start + 1}-${start + n}: ${(e as Error).message}`);
      }
      // `line` is the 1-based row number, so bad rows can be found as in a CSV file.
      for (let i = 0; i < rows.length; i++) yield { ok: true, cells: rows[i], line: start + i + 1 };
      start += n;
    }
  }

  describe(): Record<string, unknown> {
    return { file: this.path, bytes: statSync(this.path).size, format: 'parquet', columns: this.columns, rowGroups: this.rowGroups.length };
  }
}

export function parquetSource(path: string, schema: TableSchema, opts: TableOptions = {}): TableSource {
  requireFile(path);
  return new TableSource(`parquet:${path}`, new ParquetTable(path), schema, opts);
}
