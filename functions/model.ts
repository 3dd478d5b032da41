// The bundled model, per isolate: the manifest is parsed on first use (cheap, synchronous);
// the ORT session is created lazily on the first request that needs it, once, and its
// promise is cached, so concurrent first requests share one creation. A failed creation is
// cached too: every later request gets 503 with the same reason, without retrying (a broken
// bundle stays broken until a new deployment; retrying would burn the start-up CPU budget).

import type { EncodedBatch } from '../model/features/encode.ts';
import type { FeatureLayout } from '../model/features/layout.ts';
import { CAT_INPUT, inputSpecs, multiInputName, NUM_INPUT } from '../model/onnx/inputs.ts';
import { requestFeedsOf, requestInputSpecs, takesRequestInputs } from '../model/onnx/request-inputs.ts';
import type { ModelBundle } from './bundle.ts';
import { readManifest, type ModelInfo } from './model-info.ts';
import { createSession, isRuntimeReady, ortTimings, Tensor, type OrtSession, type OrtTensor } from './ort.ts';

/** Where the load of the model spent its time (ms, the isolate's clock), for the benchmark. */
export interface LoadTimings {
  /** sha256 of the ONNX bytes against the manifest. */
  checkMs: number;
  /** Instantiating onnxruntime-web's wasm module (first session of the isolate only). */
  wasmMs: number;
  /** InferenceSession.create without the wasm instantiation: parse, optimise, allocate. */
  sessionMs: number;
  /** The one-row warm-up run. */
  warmupMs: number;
  /** Load start to ready. */
  totalMs: number;
  /** onnxruntime had finished starting (in the global scope, ort.ts startRuntime) when this load began, so the load paid none of it. */
  runtimeStarted: boolean;
}

export type { ModelInfo } from './model-info.ts';

export class ModelUnavailable extends Error {}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

// One queue for every session of the isolate (several model versions share one wasm heap).
let queue: Promise<unknown> = Promise.resolve();

export class ModelHost {
  readonly info: ModelInfo | null;
  readonly manifestError: string | null;
  private session: Promise<OrtSession> | null = null;
  private failure: string | null = null;
  private ready = false;
  /** Set once the model is loaded (see LoadTimings). */
  loadTimings: LoadTimings | null = null;

  constructor(private readonly bundle: ModelBundle) {
    let info: ModelInfo | null = null;
    let error: string | null = null;
    try {
      info = readManifest(bundle);
    } catch (e) {
      error = describe(e);
    }
    this.info = info;
    this.manifestError = error;
  }

  /** Why the model cannot serve, if that is already known (without starting a load). */
  knownFailure(): string | null {
    return this.manifestError ?? this.failure;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The session, created on first call; rejects with ModelUnavailable (cached) on failure. */
  getSession(): Promise<OrtSession> {
    this.session ??= this.load().then(
      (s) => {
        this.ready = true;
        return s;
      },
      (e: unknown) => {
        this.failure = describe(e);
        console.error(`model load failed: ${this.failure}`);
        throw new ModelUnavailable(this.failure);
      },
    );
    return this.session;
  }

  private async load(): Promise<OrtSession> {
    if (!this.info) throw new Error(this.manifestError ?? 'no manifest');
    const info = this.info;
    const t0 = performance.now();
    const bytes = new Uint8Array(this.bundle.onnx);
    if (bytes.byteLength === 0) throw new Error('the ONNX file is empty');
    const file = info.served?.record;
    if (file) {
      if (typeof file.bytes === 'number' && file.bytes !== bytes.byteLength) {
        throw new Error(`the ONNX file has ${bytes.byteLength} bytes, the manifest says ${file.bytes}`);
      }
      if (typeof file.sha256 === 'string' && file.sha256) {
        const got = await sha256Hex(bytes);
        if (got !== file.sha256.toLowerCase()) throw new Error(`the ONNX file's sha256 ${got} does not match the manifest (${file.sha256})`);
      }
    }
    let session: OrtSession;
    const runtimeStarted = isRuntimeReady();
    const wasmBefore = ortTimings.instantiateMs;
    const t1 = performance.now();
    try {
      session = await createSession(bytes, info.served?.key === 'serving');
    } catch (e) {
      throw new Error(`onnxruntime could not load the model: ${describe(e)}`);
    }
    // A request-shared export (model/onnx/request-inputs.ts) also takes the request rows.
    const shared = takesRequestInputs(session.inputNames);
    const want = [...inputSpecs(info.layout), ...(shared ? requestInputSpecs(info.layout) : [])].map((s) => s.name);
    const missingIn = want.filter((n) => !session.inputNames.includes(n));
    const extraIn = session.inputNames.filter((n) => !want.includes(n));
    if (missingIn.length || extraIn.length) {
      throw new Error(`model inputs [${session.inputNames.join(', ')}] do not match the manifest's features (expected [${want.join(', ')}])`);
    }
    const missingOut = info.tasks.map((t) => t.name).filter((n) => !session.outputNames.includes(n));
    if (missingOut.length) throw new Error(`model has no output for task(s) ${missingOut.join(', ')}`);
    // One warm-up row (all padding / training means): the first run of a fresh wasm instance
    // is slow (lazy compilation, arena set-up); pay it here, so /healthz = ready to serve fast.
    const t2 = performance.now();
    try {
      const feeds: Record<string, OrtTensor> = {};
      for (const spec of inputSpecs(info.layout)) {
        feeds[spec.name] = new Tensor(spec.type, spec.type === 'int32' ? new Int32Array(spec.width) : new Float32Array(spec.width), [1, spec.width]);
      }
      const out = await session.run(withRequestInputs(info.layout, session, feeds));
      for (const t of info.tasks) {
        const d = out[t.name]?.data;
        if (!(d instanceof Float32Array) || d.length !== 1) throw new Error(`output ${t.name} is not one float32 per row`);
      }
    } catch (e) {
      throw new Error(`the model does not run: ${describe(e)}`);
    }
    const t3 = performance.now();
    // Instantiation happens once per isolate: in this load only if the runtime was not started before.
    const wasmMs = ortTimings.instantiateMs - wasmBefore;
    this.loadTimings = { checkMs: t1 - t0, wasmMs, sessionMs: Math.max(0, t2 - t1 - wasmMs), warmupMs: t3 - t2, totalMs: t3 - t0, runtimeStarted };
    return session;
  }

  /**
   * Runs one inference on the per-candidate feeds (score.ts); runs are serialised per isolate
   * (one ORT session, one wasm heap).
   */
  run(session: OrtSession, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const all = this.info ? withRequestInputs(this.info.layout, session, feeds) : feeds;
    const p = queue.then(() => session.run(all));
    queue = p.catch(() => undefined);
    return p as Promise<Record<string, OrtTensor>>;
  }
}

/**
 * The feeds of a request-shared model: the per-candidate inputs plus the request rows and the
 * overriding candidates, derived from the encoded candidates themselves (requestFeedsOf); other
 * models get the feeds unchanged.
 */
export function withRequestInputs(layout: FeatureLayout, session: OrtSession, feeds: Record<string, OrtTensor>): Record<string, OrtTensor> {
  if (!takesRequestInputs(session.inputNames)) return feeds;
  const cat = feeds[CAT_INPUT];
  const batch: EncodedBatch = {
    n: cat.dims[0],
    cat: cat.data as Int32Array,
    multi: layout.multi.map((m) => feeds[multiInputName(m.name)].data as Int32Array),
    num: feeds[NUM_INPUT].data as Float32Array,
  };
  const out = { ...feeds };
  for (const [name, t] of Object.entries(requestFeedsOf(layout, batch).tensors)) out[name] = new Tensor(t.data instanceof Int32Array ? 'int32' : 'float32', t.data, t.dims);
  return out;
}
