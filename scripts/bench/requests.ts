// Benchmark inputs: /v1/score request bodies of n candidates for a model's manifest
// (plausible values: the synthetic shop's vocabularies where a feature has one, spread
// numerics around the training mean, distinct candidate ids so embedding lookups hit
// different rows), and the same rows encoded the way the worker encodes them, for
// onnxruntime in Node. Deterministic for a given seed. Candidates split over the model's
// kinds by the one rule of scripts/lib/candidate-mix.ts (80% items / 20% coupons for the
// default two kinds), value features filled for expected-value kinds.

import type { EncodedBatch } from '../../model/features/encode.ts';
import type { FeatureLayout } from '../../model/features/layout.ts';
import type { FeatureSpec } from '../../model/features/spec.ts';
import { kindsOf } from '../../model/features/kinds.ts';
import { isClientInput } from '../../model/features/match.ts';
import type { Manifest } from '../../model/manifest.ts';
import { assembleBatch, type ServingCandidate } from '../../model/serving/assemble.ts';
import { candidateLists, scoredKinds, type Candidate, type KindsDescription } from '../lib/candidate-mix.ts';

type Raw = Record<string, unknown>;

/** A request body: the user, the context, and one candidate list per scored kind (keyed by its field: items, coupons, ads, ...). */
export interface ScoreRequest {
  user: { id: string; features: Raw };
  context: Raw;
  [field: string]: unknown;
}

/** The request's list of a field (none: empty). */
export const listOf = (req: ScoreRequest, field: string): Candidate[] => (req[field] as Candidate[] | undefined) ?? [];

let vocabCache: Record<string, readonly string[]> | undefined;

async function vocabularies(): Promise<Record<string, readonly string[]>> {
  if (vocabCache) return vocabCache;
  try {
    const shop = (await import('../../model/data/synthetic/features.ts')) as { VOCABULARIES?: Record<string, readonly string[]> };
    vocabCache = shop.VOCABULARIES ?? {};
  } catch {
    vocabCache = {};
  }
  return vocabCache;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A /v1/score request of n candidates over the model's kinds (scripts/lib/candidate-mix.ts). */
export async function scoreRequest(manifest: Pick<Manifest, 'features' | 'tasks' | 'kinds'>, n: number, seed: number): Promise<ScoreRequest> {
  const vocab = await vocabularies();
  const r = rng(seed * 7919 + n);
  const pick = (words: readonly string[]) => words[Math.floor(r() * words.length)];
  const value = (s: FeatureSpec): unknown => {
    const words = vocab[s.name];
    if (s.kind === 'numeric') {
      const m = s.mean ?? 0;
      const sd = s.std ?? 1;
      const t = m + sd * (r() * 2 - 1);
      const x = s.transform === 'log1p' ? Math.expm1(Math.max(0, t)) : t;
      return Math.round(x * 100) / 100;
    }
    if (s.kind === 'multi') {
      const len = 1 + Math.floor(r() * Math.min(5, s.maxLen));
      return Array.from({ length: len }, () => (words?.length ? pick(words) : `v${Math.floor(r() * 50)}`));
    }
    return words?.length ? pick(words) : `v${Math.floor(r() * 1000)}`;
  };
  const feats = (entity: FeatureSpec['entity']): Raw => {
    const out: Raw = {};
    for (const s of manifest.features) {
      if (s.entity !== entity || !isClientInput(s) || s.name === `${entity}_id`) continue;
      out[s.name] = value(s);
    }
    return out;
  };
  const user = { id: `u${seed}`, features: feats('user') };
  const context = feats('context');
  return { user, context, ...candidateLists(manifest, n, (kind, i) => ({ id: `${kind.name[0]}${seed}-${i}`, features: feats(kind.name) })) };
}

/**
 * The request's rows as the worker encodes them: list by list in the model's kind order, each
 * in request order (functions/score.ts candidatesOf).
 */
export function encodeRequest(m: Pick<KindsDescription, 'kinds'>, layout: FeatureLayout, req: ScoreRequest): EncodedBatch {
  const candidates: ServingCandidate[] = [];
  for (const k of kindsOf(m)) for (const c of listOf(req, k.field)) candidates.push({ id: c.id, kind: k.name, features: c.features as ServingCandidate['features'] });
  return assembleBatch(layout, { userId: req.user.id, user: req.user.features as ServingCandidate['features'], context: req.context as ServingCandidate['features'], candidates });
}

/** The request with every 10th candidate of the bulk kind (items; from the 6th on) overriding the context's device and hour. */
export function withContextOverrides(m: KindsDescription, req: ScoreRequest): ScoreRequest {
  const bulk = scoredKinds(m)[0]?.field;
  if (bulk === undefined) return req;
  const list = listOf(req, bulk).map((c, i) => (i % 10 === 5 ? { ...c, features: { ...c.features, device: i % 20 === 5 ? 'web' : 'android', hour: i % 24 } } : c));
  return { ...req, [bulk]: list };
}
