// The model registry, per isolate: model versions loaded at run time from the R2 bucket bound
// as MODELS (`models/<version>/manifest.json` + its int8 ONNX file), routed by the routing
// document (`routing.json`, functions/routing.ts).
//
// - The routing document is read at most every MODEL_ROUTING_TTL seconds, in the background
//   (ctx.waitUntil of the request that noticed it was due): no request waits for R2.
// - A version named by the document is loaded in the background (R2 read, then the existing
//   ModelHost: size + sha256 check against its manifest, session, input check, warm-up run).
//   Until every version of a new document has settled, requests keep the routing that was in
//   force; then the new one applies at once. A version that failed serves nobody: its share
//   goes to the document's main version if that one works, else to the main version in force
//   before, so a broken version never replaces a working one.
// - R2 errors and missing objects are transient (a publish may be under way): retried with
//   exponential backoff. A bad manifest, a sha256 / size mismatch or a model ORT cannot run is
//   permanent for this isolate (the same bytes would fail again): reported, never retried.
// - A version no document names any more is dropped; its session is released a minute later.
// - Without a document (or without the binding) the bundled model serves, as before.

import { servedFile, type Manifest } from '../model/manifest.ts';
import { ModelHost } from './model.ts';
import { assign, bucketBounds, checkRouting, checkVersionName, mainVersion, modelKey, ROUTING_KEY, type RoutingDoc, type Split } from './routing.ts';

/** The part of an R2 bucket binding the registry reads (structurally an R2Bucket). */
export interface R2Reader {
  get(key: string): Promise<{ text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

/** The registry's binding; its var MODEL_ROUTING_TTL is part of the typed config (config.ts). */
export interface RegistryEnv {
  MODELS?: R2Reader;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/**
 * A version no routing names any more is forgotten at once, but its session (weights unpacked
 * in the shared wasm heap) is released only this long after: a request that picked it just
 * before has long finished by then.
 */
const RELEASE_AFTER_MS = 60_000;

interface Version {
  name: string;
  state: 'loading' | 'ready' | 'failed';
  host: ModelHost | null;
  error: string | null;
  /** A transient failure is retried at retryAt; a permanent one never. */
  permanent: boolean;
  attempts: number;
  retryAt: number;
  loading: Promise<void> | null;
}

interface Applied {
  /** The document in force (null: the bundled model alone). */
  doc: RoutingDoc | null;
  splits: Split[];
  bounds: number[];
  hosts: ModelHost[];
  main: ModelHost;
  shadow: ModelHost | null;
}

export interface VersionStatus {
  version: string;
  state: 'loading' | 'ready' | 'failed';
  source: 'bundle' | 'r2';
  error?: string;
  /** For a failed version: whether it is retried (R2 errors) or not (corrupt model). */
  retrying?: boolean;
  attempts?: number;
}

export interface RegistryStatus {
  /** The routing document last read (what should serve). */
  routing: { id: string; updatedAt: string; splits: Split[]; shadow: string | null } | null;
  /** The routing in force (what serves): differs while a new version loads or after a failure. */
  serving: { routing: string | null; splits: Split[]; shadow: string | null };
  versions: VersionStatus[];
  routingReadAt: string | null;
  routingError: string | null;
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));
const versionOf = (h: ModelHost) => h.info?.manifest.version ?? 'bundled';

export class Registry {
  private versions = new Map<string, Version>();
  private target: RoutingDoc | null = null;
  private applied: Applied;
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;
  private routingError: string | null = null;
  private retired: { host: ModelHost; at: number }[] = [];

  constructor(
    private readonly bundled: ModelHost,
    private readonly now: () => number = Date.now,
  ) {
    this.applied = this.bundledOnly();
  }

  /**
   * Called on every request: starts, in the background, the routing read when it is due and the
   * retries whose backoff has passed. Never waits. `ttlSeconds`: MODEL_ROUTING_TTL (config.ts).
   */
  tick(env: RegistryEnv, ctx: { waitUntil(p: Promise<unknown>): void }, ttlSeconds: number): void {
    const bucket = env.MODELS;
    if (!bucket) return;
    const ttlMs = ttlSeconds * 1000;
    const now = this.now();
    if (!this.reading && now - this.readAt >= ttlMs) {
      this.readAt = now;
      this.reading = this.readRouting(bucket).finally(() => (this.reading = null));
      ctx.waitUntil(this.reading);
    }
    for (const v of this.versions.values()) {
      if (v.state === 'failed' && !v.permanent && !v.loading && now >= v.retryAt) ctx.waitUntil(this.load(bucket, v));
    }
    if (this.retired.length && now - this.retired[0].at >= RELEASE_AFTER_MS) {
      const due = this.retired.filter((r) => now - r.at >= RELEASE_AFTER_MS);
      this.retired = this.retired.filter((r) => now - r.at < RELEASE_AFTER_MS);
      for (const r of due) ctx.waitUntil(r.host.getSession().then((session) => session.release()).catch(() => undefined));
    }
  }

  /** The session holder that scores a request of this user (sticky by user id). */
  pick(userId: string | undefined): ModelHost {
    const a = this.applied;
    return a.hosts[assign(a.splits, a.bounds, userId)];
  }

  mainHost(): ModelHost {
    return this.applied.main;
  }

  /** The shadow's host when it is loaded and is not the version that scored. */
  shadowFor(live: ModelHost): ModelHost | null {
    const s = this.applied.shadow;
    return s && s !== live ? s : null;
  }

  status(): RegistryStatus {
    const a = this.applied;
    const versions: VersionStatus[] = [];
    const b = this.bundled;
    versions.push(
      b.isReady()
        ? { version: versionOf(b), state: 'ready', source: 'bundle' }
        : b.knownFailure()
          ? { version: versionOf(b), state: 'failed', source: 'bundle', error: b.knownFailure()! }
          : { version: versionOf(b), state: 'loading', source: 'bundle' },
    );
    for (const v of this.versions.values()) {
      const s: VersionStatus = { version: v.name, state: v.state, source: 'r2', attempts: v.attempts };
      if (v.state === 'failed') Object.assign(s, { error: v.error ?? 'unknown', retrying: !v.permanent });
      versions.push(s);
    }
    const t = this.target;
    return {
      routing: t && { id: t.id, updatedAt: t.updatedAt, splits: t.splits, shadow: t.shadow },
      serving: { routing: a.doc?.id ?? null, splits: a.hosts.map((h, i) => ({ version: versionOf(h), percent: a.splits[i].percent })), shadow: a.shadow ? versionOf(a.shadow) : null },
      versions,
      routingReadAt: Number.isFinite(this.readAt) ? new Date(this.readAt).toISOString() : null,
      routingError: this.routingError,
    };
  }

  private bundledOnly(): Applied {
    const splits = [{ version: versionOf(this.bundled), percent: 100 }];
    return { doc: null, splits, bounds: bucketBounds(splits), hosts: [this.bundled], main: this.bundled, shadow: null };
  }

  private async readRouting(bucket: R2Reader): Promise<void> {
    let doc: RoutingDoc | null;
    try {
      const obj = await bucket.get(ROUTING_KEY);
      doc = obj ? checkRouting(JSON.parse(await obj.text())) : null;
      this.routingError = null;
    } catch (e) {
      // Unreadable or invalid: keep serving what is in force; read again after the TTL.
      this.routingError = `${ROUTING_KEY}: ${describe(e)}`;
      console.error(`model registry: ${this.routingError}`);
      return;
    }
    if ((doc?.id ?? null) === (this.target?.id ?? null)) return;
    this.target = doc;
    const names = doc ? [...doc.splits.map((s) => s.version), ...(doc.shadow ? [doc.shadow] : [])] : [];
    const loads: Promise<void>[] = [];
    for (const name of names) {
      if (name === versionOf(this.bundled) || this.versions.has(name)) continue;
      const v: Version = { name, state: 'loading', host: null, error: null, permanent: false, attempts: 0, retryAt: 0, loading: null };
      this.versions.set(name, v);
      loads.push(this.load(bucket, v));
    }
    this.apply();
    await Promise.all(loads);
  }

  private load(bucket: R2Reader, v: Version): Promise<void> {
    v.loading ??= (async () => {
      v.attempts++;
      let manifest: string;
      let onnx: ArrayBuffer;
      try {
        const m = await bucket.get(modelKey(v.name, 'manifest.json'));
        if (!m) throw new Error(`${modelKey(v.name, 'manifest.json')} not found in the bucket`);
        manifest = await m.text();
        const file = fileOf(manifest, v.name);
        const o = await bucket.get(modelKey(v.name, file));
        if (!o) throw new Error(`${modelKey(v.name, file)} not found in the bucket`);
        onnx = await o.arrayBuffer();
      } catch (e) {
        if (e instanceof PermanentError) return this.fail(v, e.message, true);
        return this.fail(v, describe(e), false);
      }
      const host = new ModelHost({ manifest, onnx, quantization: 'int8', source: `r2:${modelKey(v.name, '')}` });
      try {
        await host.getSession();
      } catch (e) {
        return this.fail(v, describe(e), true);
      }
      Object.assign(v, { state: 'ready', host, error: null });
      this.apply();
    })().finally(() => (v.loading = null));
    return v.loading;
  }

  private fail(v: Version, error: string, permanent: boolean): void {
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (v.attempts - 1));
    Object.assign(v, { state: 'failed', host: null, error, permanent, retryAt: this.now() + delay });
    console.error(`model registry: version ${v.name} failed to load (${permanent ? 'not retried' : `retry in ${delay / 1000} s`}): ${error}`);
    this.apply();
  }

  /** The ready host of a version (the bundled model counts), or null. */
  private hostOf(name: string): ModelHost | null {
    if (name === versionOf(this.bundled)) return this.bundled.knownFailure() ? null : this.bundled;
    return this.versions.get(name)?.host ?? null;
  }

  /** Recomputes the routing in force from the target once none of its versions is still on its first load. */
  private apply(): void {
    const doc = this.target;
    if (!doc) {
      this.applied = this.bundledOnly();
      return this.evict();
    }
    const names = [...doc.splits.map((s) => s.version), ...(doc.shadow ? [doc.shadow] : [])];
    const firstLoad = names.some((n) => {
      const v = this.versions.get(n);
      return v !== undefined && v.state === 'loading' && v.attempts <= 1;
    });
    if (firstLoad) return;
    const fallback = this.hostOf(mainVersion(doc.splits)) ?? this.applied.main;
    const hosts = doc.splits.map((s) => this.hostOf(s.version) ?? fallback);
    const mainIdx = doc.splits.findIndex((s) => s.version === mainVersion(doc.splits));
    this.applied = {
      doc,
      splits: doc.splits,
      bounds: bucketBounds(doc.splits),
      hosts,
      main: hosts[mainIdx],
      shadow: doc.shadow ? this.hostOf(doc.shadow) : null,
    };
    this.evict();
  }

  /** Forgets versions neither the target nor the routing in force names (their memory can go). */
  private evict(): void {
    const keep = new Set<string>();
    for (const n of this.target ? [...this.target.splits.map((s) => s.version), this.target.shadow] : []) if (n) keep.add(n);
    for (const h of [...this.applied.hosts, this.applied.shadow]) if (h) keep.add(versionOf(h));
    for (const [name, v] of this.versions) {
      if (keep.has(name)) continue;
      this.versions.delete(name);
      if (v.host) this.retired.push({ host: v.host, at: this.now() });
    }
  }
}

class PermanentError extends Error {}

/** The ONNX file a published manifest names for int8 serving (model/manifest.ts servedFile), checking the manifest belongs to the version. */
function fileOf(manifestText: string, version: string): string {
  let m: { version?: unknown; files?: Partial<Manifest['files']> };
  try {
    m = JSON.parse(manifestText);
  } catch (e) {
    throw new PermanentError(`manifest.json is not JSON: ${describe(e)}`);
  }
  if (m.version !== version) throw new PermanentError(`manifest.json of ${version} says version ${JSON.stringify(m.version)}`);
  let path: unknown;
  try {
    path = servedFile(m.files, 'int8')?.record.path;
  } catch (e) {
    throw new PermanentError(describe(e));
  }
  if (typeof path !== 'string' || !/^[A-Za-z0-9._-]+$/.test(path)) throw new PermanentError('manifest.json names no int8 ONNX file (files.serving.path or files.int8.path)');
  checkVersionName(version, 'version');
  return path;
}
