// The routing document of the model registry (R2 key `routing.json`): which model versions
// serve which share of users, and which version scores in the shadow. The worker reads it
// (functions/registry.ts); `npm run models` (scripts/models.ts) writes it. Pure functions,
// no runtime imports: both sides share them.
//
// Users are assigned by a hash of user.id into BUCKETS buckets; the splits take consecutive
// bucket ranges in their order, so the same id lands on the same version for a given document,
// and a ramp of the last split (10% -> 50%) keeps its earlier users (it only grows its range).

import { hash32 } from '../model/features/hash.ts';

export const ROUTING_FORMAT = 'edge-mtl-routing/1';
export const ROUTING_KEY = 'routing.json';
/** Earlier documents, for rollback: `routing/history/<id>.json`. */
export const historyKey = (id: string) => `routing/history/${id}.json`;
/** A published model's files: `models/<version>/manifest.json` and its ONNX file. */
export const modelKey = (version: string, file: string) => `models/${version}/${file}`;
export const BUCKETS = 10_000;
/** Fixed, so assignment does not change between documents with the same splits. */
const USER_SEED = 0x5eed_ab01;

export interface Split {
  version: string;
  /** Share of users in percent (0, 100]; the splits of a document sum to 100. */
  percent: number;
}

export interface RoutingDoc {
  format: typeof ROUTING_FORMAT;
  /** Unique per written document; also its history key. */
  id: string;
  updatedAt: string;
  splits: Split[];
  /** Version scoring every request in the shadow (after the response), or null. */
  shadow: string | null;
  /** The id of the document this one replaced (rollback restores it), or null. */
  previous: string | null;
}

const VERSION = /^[A-Za-z0-9._-]{1,128}$/;

export function checkVersionName(v: unknown, where: string): string {
  if (typeof v !== 'string' || !VERSION.test(v)) throw new Error(`${where}: a version is 1 to 128 letters, digits, '.', '_' or '-' (got ${JSON.stringify(v)})`);
  return v;
}

/** Validates a parsed routing document; throws naming the first problem. */
export function checkRouting(raw: unknown): RoutingDoc {
  const fail = (why: string): never => {
    throw new Error(`invalid routing document: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('not a JSON object');
  const d = raw as Partial<RoutingDoc>;
  if (d.format !== ROUTING_FORMAT) fail(`format is ${JSON.stringify(d.format)}, expected ${ROUTING_FORMAT}`);
  if (typeof d.id !== 'string' || !d.id) fail('id missing');
  if (!Array.isArray(d.splits) || d.splits.length === 0) fail('splits missing');
  const seen = new Set<string>();
  let sum = 0;
  for (const [i, s] of d.splits!.entries()) {
    checkVersionName(s?.version, `splits[${i}].version`);
    if (seen.has(s.version)) fail(`splits[${i}]: version ${s.version} listed twice`);
    seen.add(s.version);
    if (typeof s.percent !== 'number' || !(s.percent > 0) || s.percent > 100) fail(`splits[${i}].percent must be in (0, 100]`);
    sum += s.percent;
  }
  if (Math.abs(sum - 100) > 1e-6) fail(`the splits sum to ${sum}%, not 100%`);
  if (d.shadow !== null && d.shadow !== undefined) checkVersionName(d.shadow, 'shadow');
  return { format: ROUTING_FORMAT, id: d.id!, updatedAt: String(d.updatedAt ?? ''), splits: d.splits!, shadow: d.shadow ?? null, previous: d.previous ?? null };
}

/** The version with the largest share (the first on ties): requests without a user id go there. */
export function mainVersion(splits: readonly Split[]): string {
  let best = splits[0];
  for (const s of splits) if (s.percent > best.percent) best = s;
  return best.version;
}

/** Upper bucket bounds of the splits (cumulative, the last one is BUCKETS). */
export function bucketBounds(splits: readonly Split[]): number[] {
  let acc = 0;
  return splits.map((s, i) => (i === splits.length - 1 ? BUCKETS : Math.round(((acc += s.percent) / 100) * BUCKETS)));
}

export function userBucket(userId: string): number {
  return hash32(userId, USER_SEED) % BUCKETS;
}

/** The split a user lands on (index into splits); no id: the main version's. */
export function assign(splits: readonly Split[], bounds: readonly number[], userId: string | undefined): number {
  if (userId === undefined) {
    const main = mainVersion(splits);
    return splits.findIndex((s) => s.version === main);
  }
  const b = userBucket(userId);
  for (let i = 0; i < bounds.length; i++) if (b < bounds[i]) return i;
  return bounds.length - 1;
}

/**
 * P% of users to `version`, the other versions keep their relative shares of the rest and their
 * places, `version` takes the last range (so ramping it up keeps its users).
 */
export function activate(splits: readonly Split[], version: string, percent: number): Split[] {
  if (!(percent > 0 && percent <= 100)) throw new Error(`--percent must be in (0, 100] (got ${percent})`);
  const others = splits.filter((s) => s.version !== version);
  const rest = others.reduce((t, s) => t + s.percent, 0);
  if (percent < 100 && rest === 0) throw new Error(`nothing serves the other ${100 - percent}% yet: activate ${version} at 100% first`);
  const scaled = percent === 100 ? [] : others.map((s) => ({ version: s.version, percent: round((s.percent / rest) * (100 - percent)) }));
  const out = [...scaled, { version, percent }];
  // Rounding (to 1e-6 %) must not break the sum: the largest other split takes the difference.
  const diff = 100 - out.reduce((t, s) => t + s.percent, 0);
  if (scaled.length && diff !== 0) {
    const big = scaled.reduce((a, b) => (b.percent > a.percent ? b : a));
    big.percent = round(big.percent + diff);
  }
  return out;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** A new document replacing `prev` (or the first one). */
export function nextDoc(prev: RoutingDoc | null, change: { splits?: Split[]; shadow?: string | null }, now = new Date()): RoutingDoc {
  const splits = change.splits ?? prev?.splits;
  if (!splits) throw new Error('no routing yet: activate a version first');
  const id = `${now.toISOString().replace(/[-:.]/g, '')}-${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`;
  return {
    format: ROUTING_FORMAT,
    id,
    updatedAt: now.toISOString(),
    splits,
    shadow: change.shadow !== undefined ? change.shadow : (prev?.shadow ?? null),
    previous: prev?.id ?? null,
  };
}
