// A hand-written check of a /v1/score body, generated from the manifest and the config, that
// answers one question fast: does the zod schema of schemas.ts accept this body as it is?
//
//  - true:  the zod schema would accept it, and its output would be a copy of the input (every
//           object is strict, nothing is transformed or defaulted), so the body itself is the
//           validated request;
//  - false: not known to be valid; validate.ts then runs the zod schema, which finds the error
//           and reports it exactly as before (same code, message and path).
//
// So this check may only accept a subset of what the schema accepts, never more; each rule
// below mirrors one zod rule of schemas.ts (kept side by side: a change to one needs the
// other; test/worker-*.test.ts run the error cases through the zod path and the valid ones
// through this one). Why: zod validates every candidate object field by field through
// generic parsers (and in workerd without its JIT fast path, as eval is not allowed there):
// about 1 ms for 1,000 candidates, where this takes a tenth of that (docs/performance.md).

import type { FeatureSpec } from '../model/features/spec.ts';
import { MAX_RANK_WEIGHT } from '../model/serving/rank.ts';
import type { Config } from './config.ts';
import type { ModelInfo } from './model-info.ts';
import { entitiesOf, MAX_ID, MAX_MULTI_VALUES, MAX_STRING, MAX_USER_ID, NUMERIC_STRING, rankingOnlyFeatures } from './schemas.ts';
import { isClientInput } from '../model/features/match.ts';

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** categoricalValue: string (<= MAX_STRING) | finite number | boolean | null. */
const categorical: Check = (v) =>
  v === null || (typeof v === 'string' ? v.length <= MAX_STRING : typeof v === 'boolean' || isFiniteNumber(v));

/** multiValue: array (<= MAX_MULTI_VALUES) of (string <= MAX_STRING | finite number) | string (<= 16 * MAX_STRING) | null. */
const multi: Check = (v) => {
  if (v === null) return true;
  if (typeof v === 'string') return v.length <= MAX_STRING * 16;
  if (!Array.isArray(v) || v.length > MAX_MULTI_VALUES) return false;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (typeof e === 'string' ? e.length > MAX_STRING : !isFiniteNumber(e)) return false;
  }
  return true;
};

/** numericValue: finite number | decimal numeric string | boolean | null, within maxAbsZ standard deviations. */
function numeric(spec: FeatureSpec & { kind: 'numeric' }, maxAbsZ: number): Check {
  const log1p = spec.transform === 'log1p';
  const mean = spec.mean;
  const std = spec.std > 0 ? spec.std : 1;
  return (v) => {
    let x: number;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      x = v;
    } else if (typeof v === 'string') {
      if (!NUMERIC_STRING.test(v)) return false;
      x = Number(v);
      if (!Number.isFinite(x)) return false;
    } else return v === null || typeof v === 'boolean';
    const z = ((log1p ? Math.log1p(Math.max(0, x)) : x) - mean) / std;
    return Number.isFinite(z) && Math.abs(z) <= maxAbsZ;
  };
}

/** priceOnly (the price feature on items when the model does not use it): number >= 0 | string | null. */
const priceOnly: Check = (v) => v === null || typeof v === 'string' || (isFiniteNumber(v) && v >= 0);

function valueCheck(spec: FeatureSpec, cfg: Config): Check {
  if (spec.kind === 'numeric') return numeric(spec, cfg.maxAbsZ);
  if (spec.kind === 'multi') return multi;
  return categorical;
}

/** A strict feature object: every key a feature of this place with a valid value. */
function featureObject(checks: Map<string, Check>): Check {
  return (o) => {
    if (!isObject(o)) return false;
    for (const k in o) {
      const check = checks.get(k);
      if (check === undefined || !check(o[k])) return false;
    }
    return true;
  };
}

/** A strict candidate: {id: string of 1..MAX_ID, features?: feature object}. */
function candidateList(features: Check, maxCandidates: number): Check {
  const candidate = (c: unknown): boolean => {
    if (!isObject(c)) return false;
    let id = false;
    for (const k in c) {
      if (k === 'id') {
        const v = c.id;
        if (typeof v !== 'string' || v.length < 1 || v.length > MAX_ID) return false;
        id = true;
      } else if (k !== 'features' || !features(c.features)) return false;
    }
    return id;
  };
  return (list) => {
    if (!Array.isArray(list) || list.length > maxCandidates) return false;
    for (let i = 0; i < list.length; i++) if (!candidate(list[i])) return false;
    return true;
  };
}

/**
 * The fast check for one model and configuration, or null without a model (the generic
 * schemas then always go through zod).
 */
export function fastValidator(info: ModelInfo | null, cfg: Config): ((body: unknown) => boolean) | null {
  if (!info) return null;
  const specs = info.layout.specs.filter(isClientInput);
  const checksOf = (place: string) => {
    const m = new Map<string, Check>();
    for (const s of specs) if (entitiesOf(place).includes(s.entity)) m.set(s.name, valueCheck(s, cfg));
    return m;
  };
  const lists = new Map<string, Check>();
  for (const k of info.kinds) {
    const checks = checksOf(k.name);
    for (const f of rankingOnlyFeatures(k, cfg)) if (!checks.has(f)) checks.set(f, priceOnly);
    lists.set(k.field, candidateList(featureObject(checks), cfg.maxCandidates));
  }
  const userFeatures = featureObject(checksOf('user'));
  const context = featureObject(checksOf('context'));
  const tasks = new Set(info.tasks.map((t) => t.name));
  const maxTopK = cfg.maxCandidates;

  const user = (u: unknown): boolean => {
    if (!isObject(u)) return false;
    for (const k in u) {
      if (k === 'id') {
        const v = u.id;
        if (typeof v !== 'string' || v.length < 1 || v.length > MAX_USER_ID) return false;
      } else if (k !== 'features' || !userFeatures(u.features)) return false;
    }
    return true;
  };
  const rank = (r: unknown): boolean => {
    if (!isObject(r)) return false;
    for (const k in r) {
      if (k === 'formula') {
        if (r.formula !== 'product' && r.formula !== 'revenue') return false;
      } else if (k === 'weights') {
        const w = r.weights;
        if (!isObject(w)) return false;
        for (const t in w) {
          const x = w[t];
          if (!tasks.has(t) || !isFiniteNumber(x) || x < 0 || x > MAX_RANK_WEIGHT) return false;
        }
      } else return false;
    }
    return true;
  };

  return (body) => {
    if (!isObject(body)) return false;
    for (const k in body) {
      const v = body[k];
      switch (k) {
        case 'user':
          if (!user(v)) return false;
          break;
        case 'context':
          if (!context(v)) return false;
          break;
        case 'rank':
          if (!rank(v)) return false;
          break;
        case 'top_k':
          if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > maxTopK) return false;
          break;
        default: {
          const list = lists.get(k);
          if (!list || !list(v)) return false;
        }
      }
    }
    return true;
  };
}
