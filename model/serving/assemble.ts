// Request -> model inputs for serving: one EncodedBatch holding every candidate of a request
// (items and coupons together), encoded by the shared feature module exactly as in training.
// No node: imports (the worker runs this inside workerd).

import { allocBatch, encodeRowInto, type EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { CANDIDATE_KIND_FEATURE, type CandidateKind, type Entity, type RawValue } from '../features/spec.ts';

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

const own = (o: RawFeatures | undefined, k: string): RawValue =>
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

/** Encodes every candidate of a request into one batch (row i = req.candidates[i]). */
export function assembleBatch(layout: FeatureLayout, req: ServingRequest): EncodedBatch {
  const batch = allocBatch(layout, req.candidates.length);
  const ids = idFeatures(layout);
  for (let i = 0; i < req.candidates.length; i++) {
    const cand = req.candidates[i];
    encodeRowInto(layout, batch, i, (name) => rawValueOf(req, cand, name, ids));
  }
  return batch;
}
