// The registry operations behind `npm run models` (publish, list, activate, shadow, rollback),
// on any object store: wrangler's R2 (scripts/models/wrangler-store.ts, local state or the
// account) or, in tests, a Miniflare R2 bucket. Layout of the bucket:
//   models/<version>/manifest.json, models/<version>/<served file>       one published model
//     (the served file: files.serving.path, the int8 serving graph, or files.int8.path for a
//     model exported before it; model/manifest.ts servedFile, which the worker reads the same way)
//   models/index.json                                                    versions, for list
//   routing.json                                                         the routing in force
//   routing/history/<id>.json                                            every routing written
// Every routing document names the one it replaced (`previous`): rollback puts that one back.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutOf } from '../../model/features/layout.ts';
import { encodeRows } from '../../model/features/encode.ts';
import { checkManifest, servedFile, type Manifest, type ServedFile } from '../../model/manifest.ts';
import { createRunner } from '../../model/onnx/run.ts';
import { activate as activateSplits, checkRouting, checkVersionName, historyKey, modelKey, nextDoc, ROUTING_KEY, type RoutingDoc } from '../../functions/routing.ts';

export interface ObjectStore {
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

export const INDEX_KEY = 'models/index.json';

export interface IndexEntry {
  version: string;
  createdAt: string;
  publishedAt: string;
  parent: string | null;
  /** Test AUC per task, from the manifest's metrics. */
  auc: Record<string, number | null>;
  /** The ONNX file uploaded with it (the served file); absent in entries published before it was recorded. */
  file?: { path: string; bytes: number };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const json = (x: unknown) => new TextEncoder().encode(JSON.stringify(x, null, 2) + '\n');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function getJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const b = await store.get(key);
  if (!b) return null;
  try {
    return JSON.parse(text(b)) as T;
  } catch (e) {
    throw new Error(`${key} in the bucket is not JSON: ${(e as Error).message}`);
  }
}

export async function readRouting(store: ObjectStore): Promise<RoutingDoc | null> {
  const raw = await getJson<unknown>(store, ROUTING_KEY);
  return raw === null ? null : checkRouting(raw);
}

export async function readIndex(store: ObjectStore): Promise<IndexEntry[]> {
  return (await getJson<IndexEntry[]>(store, INDEX_KEY)) ?? [];
}

/** The ONNX file an int8 worker serves from a model directory (servedFile), checked against the manifest's size and sha256. */
export function readModelDir(dir: string): { manifest: Manifest; manifestBytes: Uint8Array; onnxPath: string; onnx: Uint8Array; served: ServedFile } {
  const mPath = join(dir, 'manifest.json');
  if (!existsSync(mPath)) throw new Error(`${mPath} not found`);
  const manifestBytes = new Uint8Array(readFileSync(mPath));
  const manifest = checkManifest(JSON.parse(text(manifestBytes)));
  checkVersionName(manifest.version, `${mPath}: version`);
  let served: ServedFile | null;
  try {
    served = servedFile(manifest.files, 'int8');
  } catch (e) {
    throw new Error(`${mPath}: ${(e as Error).message}`);
  }
  if (!served) throw new Error(`${mPath} records no int8 ONNX file (files.int8): export the model first (npm run export -- --model ${dir})`);
  const rec = served.record;
  const onnxPath = join(dir, rec.path);
  if (!existsSync(onnxPath)) throw new Error(`${onnxPath} not found`);
  const onnx = new Uint8Array(readFileSync(onnxPath));
  if (onnx.byteLength !== rec.bytes) throw new Error(`${onnxPath} has ${onnx.byteLength} bytes, the manifest says ${rec.bytes}`);
  const got = sha256(onnx);
  if (got !== rec.sha256) throw new Error(`${onnxPath}: sha256 ${got} does not match the manifest (${rec.sha256})`);
  return { manifest, manifestBytes, onnxPath, onnx, served };
}

/** Loads the model once (onnxruntime-node) and scores one all-missing row of each candidate kind. */
async function loadOnce(manifest: Manifest, onnx: Uint8Array): Promise<void> {
  const layout = layoutOf(manifest.features);
  const runner = await createRunner(onnx, layout, { runtime: 'node' });
  try {
    const kinds = [...new Set(manifest.tasks.map((t) => t.appliesTo))];
    const out = await runner.run(encodeRows(layout, kinds.map((k) => ({ candidate_kind: k }))));
    for (const t of manifest.tasks) {
      const p = out[t.name];
      if (!p || !Array.from(p).every((x) => x >= 0 && x <= 1)) throw new Error(`the model gives no probability for task ${t.name}`);
    }
  } finally {
    await runner.release();
  }
}

export async function publish(store: ObjectStore, dir: string): Promise<IndexEntry> {
  const { manifest, manifestBytes, onnx, served } = readModelDir(dir);
  const v = manifest.version;
  try {
    await loadOnce(manifest, onnx);
  } catch (e) {
    throw new Error(`${dir}: the model does not load: ${(e as Error).message}`);
  }
  if (await store.get(modelKey(v, 'manifest.json'))) throw new Error(`version ${v} is already published (a version is immutable: retrain or export to get a new one)`);
  // The ONNX file first: a manifest in the bucket means the version is complete.
  await store.put(modelKey(v, served.record.path), onnx, 'application/octet-stream');
  await store.put(modelKey(v, 'manifest.json'), manifestBytes, 'application/json');
  const entry: IndexEntry = {
    version: v,
    createdAt: manifest.createdAt,
    publishedAt: new Date().toISOString(),
    parent: manifest.parent?.version ?? null,
    auc: Object.fromEntries(Object.entries(manifest.metrics ?? {}).map(([t, m]) => [t, typeof m?.auc === 'number' ? m.auc : null])),
    file: { path: served.record.path, bytes: served.record.bytes },
  };
  const index = (await readIndex(store)).filter((e) => e.version !== v);
  await store.put(INDEX_KEY, json([...index, entry]), 'application/json');
  return entry;
}

async function writeRouting(store: ObjectStore, doc: RoutingDoc): Promise<RoutingDoc> {
  checkRouting(doc);
  await store.put(historyKey(doc.id), json(doc), 'application/json');
  await store.put(ROUTING_KEY, json(doc), 'application/json');
  return doc;
}

async function requirePublished(store: ObjectStore, version: string): Promise<void> {
  checkVersionName(version, 'version');
  if (!(await store.get(modelKey(version, 'manifest.json')))) throw new Error(`version ${version} is not published (npm run models -- publish DIR)`);
}

export async function activate(store: ObjectStore, version: string, percent = 100): Promise<RoutingDoc> {
  await requirePublished(store, version);
  const prev = await readRouting(store);
  return writeRouting(store, nextDoc(prev, { splits: activateSplits(prev?.splits ?? [], version, percent) }));
}

export async function shadow(store: ObjectStore, version: string | null): Promise<RoutingDoc> {
  if (version !== null) await requirePublished(store, version);
  const prev = await readRouting(store);
  if (!prev) throw new Error('no routing yet: activate a version before adding a shadow');
  return writeRouting(store, nextDoc(prev, { shadow: version }));
}

/** Puts back the document the current one replaced (again and again walks further back). */
export async function rollback(store: ObjectStore): Promise<RoutingDoc> {
  const cur = await readRouting(store);
  if (!cur) throw new Error('no routing document: nothing to roll back');
  if (!cur.previous) throw new Error(`routing ${cur.id} is the first one: nothing to roll back to`);
  const prevRaw = await getJson<unknown>(store, historyKey(cur.previous));
  if (prevRaw === null) throw new Error(`${historyKey(cur.previous)} is missing from the bucket`);
  const prev = checkRouting(prevRaw);
  await store.put(ROUTING_KEY, json(prev), 'application/json');
  return prev;
}

/** The lines of `list`: version, created, test AUC per task, share of traffic, shadow. */
export async function listing(store: ObjectStore): Promise<string[]> {
  const index = await readIndex(store);
  const routing = await readRouting(store);
  const share = new Map(routing?.splits.map((s) => [s.version, s.percent]) ?? []);
  const tasks = [...new Set(index.flatMap((e) => Object.keys(e.auc)))];
  const rows = [['version', 'created', ...tasks.map((t) => `auc ${t}`), 'traffic', 'parent']];
  for (const e of index) {
    const role = share.has(e.version) ? `${share.get(e.version)}%` : routing?.shadow === e.version ? 'shadow' : '-';
    const traffic = routing?.shadow === e.version && share.has(e.version) ? `${role} + shadow` : role;
    rows.push([e.version, e.createdAt.slice(0, 19).replace('T', ' '), ...tasks.map((t) => (typeof e.auc[t] === 'number' ? e.auc[t]!.toFixed(4) : '-')), traffic, e.parent ?? '-']);
  }
  for (const s of routing?.splits ?? []) if (!index.some((e) => e.version === s.version)) rows.push([s.version, '(not in models/index.json)', ...tasks.map(() => '-'), `${s.percent}%`, '-']);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const out = rows.map((r) => r.map((x, c) => x.padEnd(w[c])).join('  ').trimEnd());
  out.push(routing ? `routing ${routing.id} (${routing.updatedAt})${routing.previous ? `, replaced ${routing.previous}` : ''}` : 'no routing document: the bundled model serves');
  return out;
}
