// Request -> model inputs for serving: one EncodedBatch holding every candidate of a request
// (items and coupons together), encoded by the shared feature module exactly as in training.
// No node: imports (the worker runs this inside workerd).

import { allocBatch, encodeFieldInto, encodeRowInto, numericRaw, type EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import {
  CANDIDATE_KIND_FEATURE,
  type CandidateKind,
  type CategoricalFeature,
  type Entity,
  type MultiFeature,
  type NumericFeature,
  type RawValue,
} from '../features/spec.ts';

export type RawFeatures = Readonly<Record<string, RawValue>>;

export interface ServingCandidate {
  id: string;
  kind: CandidateKind;
  features?: RawFeatures;
}

export interface ServingRequest {
  userId?: string;
  user?: RawFeatures;
  context?: RawFeatures;
  /** Rows in batch order (the worker puts items first, then coupons, each in request order). */
  candidates: readonly ServingCandidate[];
}

/**
 * The "<entity>_id" feature of each entity, when the layout declares one with that entity
 * (e.g. user_id / item_id / coupon_id). A row that does not set it explicitly gets the
 * request's id for it: `user.id` for the user, the candidate's `id` for items and coupons.
 */
export function idFeatures(layout: FeatureLayout): Partial<Record<Entity, string>> {
  const out: Partial<Record<Entity, string>> = {};
  for (const s of layout.specs) {
    if (s.kind === 'categorical' && s.name === `${s.entity}_id` && s.entity !== 'context') out[s.entity] = s.name;
  }
  return out;
}

/** The raw value of feature k of a features object, only if it is its own (never an inherited key such as "constructor"). */
export const own = (o: RawFeatures | undefined, k: string): RawValue =>
  o !== undefined && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;

/**
 * The raw value of feature `name` for one candidate row, resolved in this order:
 *   1. `candidate_kind` -> the row's kind (always set by the server);
 *   2. the candidate's own features;
 *   3. the request context;
 *   4. the user features;
 *   5. the entity's id feature (see idFeatures) -> the request id;
 *   6. undefined: the encoder's missing value (bucket 0, empty list, training mean).
 * An explicit null at any level counts as set (missing) and stops the search.
 */
export function rawValueOf(
  req: ServingRequest,
  cand: ServingCandidate,
  name: string,
  ids: Partial<Record<Entity, string>>,
): RawValue {
  if (name === CANDIDATE_KIND_FEATURE.name) return cand.kind;
  let v = own(cand.features, name);
  if (v !== undefined) return v;
  v = own(req.context, name);
  if (v !== undefined) return v;
  v = own(req.user, name);
  if (v !== undefined) return v;
  if (name === ids[cand.kind]) return cand.id;
  if (name === ids.user && req.userId !== undefined) return req.userId;
  return undefined;
}

/** Where a feature lands in a row of the batch. */
type Slot =
  | { kind: 'categorical'; spec: CategoricalFeature; index: number }
  | { kind: 'multi'; spec: MultiFeature; index: number }
  | { kind: 'numeric'; spec: NumericFeature; index: number };

/**
 * The slots of a layout's input features by name, and per feature the match features
 * (features/match.ts) computed from it: those are not inputs, they are recomputed when a
 * candidate sets one of their two fields.
 */
interface Slots {
  byName: Map<string, Slot>;
  dependents: Map<string, number[]>;
}

const slotsByLayout = new WeakMap<FeatureLayout, Slots>();

function slotsOf(layout: FeatureLayout): Slots {
  let slots = slotsByLayout.get(layout);
  if (!slots) {
    const byName = new Map<string, Slot>();
    const dependents = new Map<string, number[]>();
    const depend = (name: string, d: number) => dependents.set(name, [...(dependents.get(name) ?? []), d]);
    layout.categorical.forEach((spec, index) => byName.set(spec.name, { kind: 'categorical', spec, index }));
    layout.multi.forEach((spec, index) => byName.set(spec.name, { kind: 'multi', spec, index }));
    layout.numeric.forEach((spec, index) => {
      if (spec.match) {
        depend(spec.match.list, index);
        depend(spec.match.key, index);
      } else byName.set(spec.name, { kind: 'numeric', spec, index });
    });
    slots = { byName, dependents };
    slotsByLayout.set(layout, slots);
  }
  return slots;
}

/** Writes one raw value into its slot of row i, with the shared encoder's per-field step. */
function encodeSlot(layout: FeatureLayout, batch: EncodedBatch, i: number, slot: Slot, raw: RawValue): void {
  encodeFieldInto(layout, batch, i, slot.kind, slot.index, raw);
}

function copyRow(from: ArrayLike<number>, to: Int32Array | Float32Array, width: number, i: number): void {
  const o = i * width;
  for (let j = 0; j < width; j++) to[o + j] = from[j];
}

/**
 * Encodes every candidate of a request into one batch (row i = req.candidates[i]); the same
 * values as encodeRowInto with rawValueOf for every row (test/worker-unit.test.ts), computed
 * without resolving every feature of every row: the features a candidate does not carry
 * resolve the same way for every candidate of its kind (context, user, defaults), so they are
 * encoded once per kind into a template row by the shared encoder and copied; then the
 * candidate's own features, and its id for the `<kind>_id` feature when nothing else sets
 * that, are encoded into their slots.
 */
export function assembleBatch(layout: FeatureLayout, req: ServingRequest): EncodedBatch {
  const n = req.candidates.length;
  const batch = allocBatch(layout, n);
  const ids = idFeatures(layout);
  const { byName: slots, dependents } = slotsOf(layout);
  const C = layout.catWidth;
  const D = layout.numeric.length;
  const templates: Partial<Record<CandidateKind, { row: EncodedBatch; idSlot: Slot | null }>> = {};
  const templateOf = (kind: CandidateKind) => {
    let t = templates[kind];
    if (!t) {
      const row = allocBatch(layout, 1);
      encodeRowInto(layout, row, 0, (name) => rawValueOf(req, { id: '', kind }, name, ids));
      // The `<kind>_id` feature falls back to the candidate's own id unless the context or the
      // user features set it (rawValueOf's order).
      const idName = ids[kind];
      const fromCandidate = idName !== undefined && own(req.context, idName) === undefined && own(req.user, idName) === undefined;
      t = { row, idSlot: fromCandidate ? (slots.get(idName) ?? null) : null };
      templates[kind] = t;
    }
    return t;
  };
  // Match features whose fields a candidate sets (its own value, or its id as the
  // `<kind>_id`) differ from its template's: recomputed from the row's resolved values.
  const rematch: number[] = [];
  const touch = (name: string) => {
    const deps = dependents.get(name);
    if (deps) rematch.push(...deps);
  };
  // The resolver of the current row's raw values, made once: a closure made per row costs a
  // defineProperty per row in a bundle built with keep_names (wrangler's default).
  let cand: ServingCandidate = req.candidates[0];
  const get = (name: string) => rawValueOf(req, cand, name, ids);
  for (let i = 0; i < n; i++) {
    cand = req.candidates[i];
    const t = templateOf(cand.kind);
    copyRow(t.row.cat, batch.cat, C, i);
    for (let m = 0; m < layout.multi.length; m++) copyRow(t.row.multi[m], batch.multi[m], layout.multi[m].maxLen, i);
    copyRow(t.row.num, batch.num, D, i);
    rematch.length = 0;
    if (t.idSlot) {
      encodeSlot(layout, batch, i, t.idSlot, cand.id);
      touch(t.idSlot.spec.name);
    }
    const f = cand.features;
    if (f !== undefined) {
      for (const name in f) {
        if (name === CANDIDATE_KIND_FEATURE.name || !Object.prototype.hasOwnProperty.call(f, name)) continue;
        const v = f[name];
        if (v === undefined) continue;
        const slot = slots.get(name);
        if (slot) encodeSlot(layout, batch, i, slot, v);
        touch(name);
      }
    }
    if (rematch.length) {
      // A feature touched through both of its fields is recomputed twice, to the same value.
      for (const d of rematch) encodeFieldInto(layout, batch, i, 'numeric', d, numericRaw(layout, d, get));
    }
  }
  return batch;
}
