// Request validation beyond the types: zod issues -> one ApiError naming the field, then the
// checks a schema cannot express (candidate counts across lists, duplicate ids, kinds the
// model has no task for, prices for the revenue formula).

import type { z } from '@hono/zod-openapi';
import { DEFAULT_KINDS, kindOfField, type KindSpec } from '../model/features/kinds.ts';
import { CANDIDATE_KIND_FEATURE, type RawValue } from '../model/features/spec.ts';
import { own } from '../model/serving/assemble.ts';
import { priceOf, type RankFormula } from '../model/serving/rank.ts';
import type { Config } from './config.ts';
import { ApiError, clip, formatPath } from './errors.ts';
import { fastValidator } from './fast-validate.ts';
import type { ModelInfo } from './model-info.ts';
import type { Schemas } from './schemas.ts';

type Features = Record<string, RawValue>;

export type Candidate = { id: string; features?: Features };

/** A validated body; each candidate kind's list is under the kind's field (items, coupons, ads, ...). */
export interface ValidRequest {
  user?: { id?: string; features?: Features };
  context?: Features;
  rank?: { formula?: RankFormula; weights?: Record<string, number | undefined> };
  top_k?: number;
  [list: string]: unknown;
}

/** The candidate list of a kind's field (empty when absent). */
export function listOf(req: ValidRequest, field: string): Candidate[] {
  return (req[field] as Candidate[] | undefined) ?? [];
}

/** The feature-holding object a path points into: 'user', 'context', a candidate kind's name, or null. */
function featurePlace(path: readonly PropertyKey[], kinds: readonly KindSpec[]): string | null {
  if (path[0] === 'context') return 'context';
  if (path[0] === 'user' && path[1] === 'features') return 'user';
  const kind = typeof path[0] === 'string' ? kindOfField(kinds, path[0]) : undefined;
  if (kind && typeof path[1] === 'number' && path[2] === 'features') return kind.name;
  return null;
}

function featureDepth(place: string): number {
  return place === 'context' ? 1 : place === 'user' ? 2 : 3;
}

function unknownFeatureMessage(info: ModelInfo | null, place: string, name: string): string {
  if (name === CANDIDATE_KIND_FEATURE.name) return `"${name}" is set by the server from the list a candidate is in`;
  const spec = info?.layout.specs.find((s) => s.name === name);
  const where = place === 'user' ? 'user features' : place === 'context' ? 'the context' : `${place} features`;
  if (spec?.kind === 'numeric' && spec.match) return `"${name}" is computed by the server from "${spec.match.key}" and "${spec.match.list}"`;
  if (spec) return `"${name}" is a ${spec.entity} feature; it does not belong in ${where}`;
  return `unknown feature "${clip(name)}": the model has no such feature`;
}

export function issueToError(issue: z.core.$ZodIssue, body: unknown, info: ModelInfo | null): ApiError {
  const path = issue.path as PropertyKey[];
  const kinds = info ? info.kinds : DEFAULT_KINDS;
  const place = featurePlace(path, kinds);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const full = formatPath([...path, key]);
    if (place && path.length === featureDepth(place)) return new ApiError(400, 'unknown_feature', unknownFeatureMessage(info, place, key), full);
    if (path[0] === 'rank' && path[1] === 'weights') return new ApiError(400, 'unknown_task', `unknown task "${clip(key)}" in rank weights`, full);
    if (path.length === 0) return new ApiError(400, 'unknown_field', `unknown field "${clip(key)}" (the model's candidate lists are ${kinds.map((k) => k.field).join(', ')})`, full);
    return new ApiError(400, 'unknown_field', `unknown field "${clip(key)}"`, full);
  }
  const where = formatPath(path);
  if (place && path.length > featureDepth(place)) return new ApiError(400, 'invalid_feature_value', `${where}: ${issue.message}`, where);
  if (issue.code === 'too_big' && path.length === 1 && typeof path[0] === 'string' && kindOfField(kinds, path[0])) {
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
  const kinds = info ? info.kinds : DEFAULT_KINDS;
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    let n = 0;
    let first: string | undefined;
    for (const k of kinds) {
      const l = b[k.field];
      if (Array.isArray(l) && l.length) (n += l.length), (first ??= k.field);
    }
    if (n > cfg.maxCandidates) throw new ApiError(400, 'too_many_candidates', `${n} candidates; at most ${cfg.maxCandidates} per request`, first);
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
  if (kinds.every((k) => listOf(req, k.field).length === 0)) {
    throw new ApiError(400, 'no_candidates', `send at least one candidate (${kinds.map((k) => k.field).join(', ')})`, kinds[0].field);
  }
  for (const k of kinds) {
    const list = listOf(req, k.field);
    if (info && list.length && !info.tasksOf[k.name].length) throw new ApiError(400, 'unsupported_candidates', `this model has no task for ${k.field}`, k.field);
    if (list.length >= 2) {
      const seen = new Map<string, number>();
      for (let i = 0; i < list.length; i++) {
        const id = list[i].id;
        const first = seen.get(id);
        if (first !== undefined) throw new ApiError(400, 'duplicate_id', `id "${clip(id)}" appears at ${k.field}[${first}] and ${k.field}[${i}]`, `${k.field}[${i}].id`);
        seen.set(id, i);
      }
    }
    // Expected-value kinds (ads) need every value term's number on every candidate.
    for (const v of k.value ?? []) requireValue(list, k.field, v.feature, `the expected-value ranking of ${k.field} needs a finite ${v.feature} >= 0 on every candidate`);
  }
  const items = listOf(req, 'items');
  const formula = req.rank?.formula ?? cfg.rankFormula;
  if (formula === 'revenue' && items.length) {
    if (info && !(info.tasksOf.item ?? []).some((t) => t.name === cfg.revenueTask)) {
      throw new ApiError(400, 'unsupported_formula', `the revenue formula needs an item task "${cfg.revenueTask}", which this model does not have`, 'rank.formula');
    }
    requireValue(items, 'items', cfg.priceFeature, `the revenue formula needs a finite price >= 0 in ${cfg.priceFeature} on every item`, 'missing_price');
  }
  return req;
}

/** Every candidate of the list carries a finite number >= 0 in `feature` (a ranking input), else a 400 naming the first that does not. */
function requireValue(list: readonly Candidate[], field: string, feature: string, message: string, code = 'missing_value'): void {
  list.forEach((c, i) => {
    if (priceOf(own(c.features, feature)) === null) throw new ApiError(400, code, message, `${field}[${i}].features.${feature}`);
  });
}
