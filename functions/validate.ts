// Request validation beyond the types: zod issues -> one ApiError naming the field, then the
// checks a schema cannot express (candidate counts across lists, duplicate ids, kinds the
// model has no task for, prices for the revenue formula).

import type { z } from '@hono/zod-openapi';
import { CANDIDATE_KIND_FEATURE, type RawValue } from '../model/features/spec.ts';
import { priceOf, type RankFormula } from '../model/serving/rank.ts';
import type { Config } from './config.ts';
import { ApiError, clip, formatPath } from './errors.ts';
import { fastValidator } from './fast-validate.ts';
import type { ModelInfo } from './model-info.ts';
import { PLACEMENT, type Schemas } from './schemas.ts';

type Features = Record<string, RawValue>;

export interface ValidRequest {
  user?: { id?: string; features?: Features };
  context?: Features;
  items?: { id: string; features?: Features }[];
  coupons?: { id: string; features?: Features }[];
  rank?: { formula?: RankFormula; weights?: Record<string, number | undefined> };
  top_k?: number;
}

/** The feature-holding object a path points into: 'user' | 'context' | 'item' | 'coupon' | null. */
function featurePlace(path: readonly PropertyKey[]): keyof typeof PLACEMENT | null {
  if (path[0] === 'context') return 'context';
  if (path[0] === 'user' && path[1] === 'features') return 'user';
  if ((path[0] === 'items' || path[0] === 'coupons') && typeof path[1] === 'number' && path[2] === 'features') return path[0] === 'items' ? 'item' : 'coupon';
  return null;
}

function featureDepth(place: keyof typeof PLACEMENT): number {
  return place === 'context' ? 1 : place === 'user' ? 2 : 3;
}

function unknownFeatureMessage(info: ModelInfo | null, place: keyof typeof PLACEMENT, name: string): string {
  if (name === CANDIDATE_KIND_FEATURE.name) return `"${name}" is set by the server from the list a candidate is in`;
  const spec = info?.layout.specs.find((s) => s.name === name);
  const where = place === 'item' || place === 'coupon' ? `${place} features` : place === 'user' ? 'user features' : 'the context';
  if (spec) return `"${name}" is a ${spec.entity} feature; it does not belong in ${where}`;
  return `unknown feature "${clip(name)}": the model has no such feature`;
}

export function issueToError(issue: z.core.$ZodIssue, body: unknown, info: ModelInfo | null): ApiError {
  const path = issue.path as PropertyKey[];
  const place = featurePlace(path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const full = formatPath([...path, key]);
    if (place && path.length === featureDepth(place)) return new ApiError(400, 'unknown_feature', unknownFeatureMessage(info, place, key), full);
    if (path[0] === 'rank' && path[1] === 'weights') return new ApiError(400, 'unknown_task', `unknown task "${clip(key)}" in rank weights`, full);
    return new ApiError(400, 'unknown_field', `unknown field "${clip(key)}"`, full);
  }
  const where = formatPath(path);
  if (place && path.length > featureDepth(place)) return new ApiError(400, 'invalid_feature_value', `${where}: ${issue.message}`, where);
  if (issue.code === 'too_big' && path.length === 1 && (path[0] === 'items' || path[0] === 'coupons')) {
    return new ApiError(400, 'too_many_candidates', `${where}: ${issue.message}`, where);
  }
  if (issue.code === 'invalid_type' && path.length > 0 && valueAt(body, path) === undefined) return new ApiError(400, 'missing_field', `${where} is required`, where);
  return new ApiError(400, 'invalid_request', `${where || 'body'}: ${issue.message}`, where);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** The fast check of fast-validate.ts for a set of schemas (built once per schemas object). */
const fastChecks = new WeakMap<Schemas, ((body: unknown) => boolean) | null>();

function fastCheckOf(schemas: Schemas, info: ModelInfo | null, cfg: Config): ((body: unknown) => boolean) | null {
  let f = fastChecks.get(schemas);
  if (f === undefined) {
    f = fastValidator(info, cfg);
    fastChecks.set(schemas, f);
  }
  return f;
}

export function validateRequest(body: unknown, schemas: Schemas, info: ModelInfo | null, cfg: Config): ValidRequest {
  // Cheap count check first, so a huge list is refused before it is validated element by element.
  if (typeof body === 'object' && body !== null) {
    const b = body as { items?: unknown; coupons?: unknown };
    const n = (Array.isArray(b.items) ? b.items.length : 0) + (Array.isArray(b.coupons) ? b.coupons.length : 0);
    if (n > cfg.maxCandidates) throw new ApiError(400, 'too_many_candidates', `${n} candidates; at most ${cfg.maxCandidates} per request`, Array.isArray(b.items) && b.items.length ? 'items' : 'coupons');
  }
  let req: ValidRequest;
  // A body the fast check accepts is one the schema accepts unchanged; anything else goes
  // through zod, which reports the error (fast-validate.ts).
  if (fastCheckOf(schemas, info, cfg)?.(body)) req = body as ValidRequest;
  else {
    const r = schemas.ScoreRequest.safeParse(body);
    if (!r.success) {
      const issues = [...r.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
      throw issueToError(issues[0], body, info);
    }
    req = r.data as ValidRequest;
  }
  const items = req.items ?? [];
  const coupons = req.coupons ?? [];
  if (items.length + coupons.length === 0) throw new ApiError(400, 'no_candidates', 'send at least one item or coupon', 'items');
  if (info) {
    if (items.length && !info.tasksOf.item.length) throw new ApiError(400, 'unsupported_candidates', 'this model has no task for items', 'items');
    if (coupons.length && !info.tasksOf.coupon.length) throw new ApiError(400, 'unsupported_candidates', 'this model has no task for coupons', 'coupons');
  }
  for (const [list, name] of [[items, 'items'], [coupons, 'coupons']] as const) {
    if (list.length < 2) continue;
    const seen = new Map<string, number>();
    for (let i = 0; i < list.length; i++) {
      const id = list[i].id;
      const first = seen.get(id);
      if (first !== undefined) throw new ApiError(400, 'duplicate_id', `id "${clip(id)}" appears at ${name}[${first}] and ${name}[${i}]`, `${name}[${i}].id`);
      seen.set(id, i);
    }
  }
  const formula = req.rank?.formula ?? cfg.rankFormula;
  if (formula === 'revenue' && items.length) {
    if (info && !info.tasksOf.item.some((t) => t.name === cfg.revenueTask)) {
      throw new ApiError(400, 'unsupported_formula', `the revenue formula needs an item task "${cfg.revenueTask}", which this model does not have`, 'rank.formula');
    }
    items.forEach((c, i) => {
      const f = c.features;
      const raw = f && Object.prototype.hasOwnProperty.call(f, cfg.priceFeature) ? f[cfg.priceFeature] : undefined;
      if (priceOf(raw) === null) {
        throw new ApiError(400, 'missing_price', `the revenue formula needs a finite price >= 0 in ${cfg.priceFeature} on every item`, `items[${i}].features.${cfg.priceFeature}`);
      }
    });
  }
  return req;
}
