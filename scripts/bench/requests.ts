// Benchmark inputs: /v1/score request bodies of n candidates for a model's manifest
// (plausible values: the synthetic shop's vocabularies where a feature has one, spread
// numerics around the training mean, distinct candidate ids so embedding lookups hit
// different rows), and the same rows encoded the way the worker encodes them, for
// onnxruntime in Node. Deterministic for a given seed.

import type { EncodedBatch } from '../../model/features/encode.ts';
import type { FeatureLayout } from '../../model/features/layout.ts';
import type { FeatureSpec } from '../../model/features/spec.ts';
import type { Manifest } from '../../model/manifest.ts';
import { assembleBatch, type ServingCandidate } from '../../model/serving/assemble.ts';

type Raw = Record<string, unknown>;

export interface ScoreRequest {
  user: { id: string; features: Raw };
  context: Raw;
  items?: { id: string; features: Raw }[];
  coupons?: { id: string; features: Raw }[];
}

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

/** A /v1/score request of n candidates (80% items, 20% coupons when the model has both kinds). */
export async function scoreRequest(manifest: Manifest, n: number, seed: number): Promise<ScoreRequest> {
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
      if (s.entity !== entity || s.name === 'candidate_kind' || s.name === `${entity}_id`) continue;
      out[s.name] = value(s);
    }
    return out;
  };
  const kinds = new Set(manifest.tasks.map((t) => t.appliesTo));
  const nCoupons = kinds.has('coupon') ? (kinds.has('item') ? Math.round(n * 0.2) : n) : 0;
  const nItems = n - nCoupons;
  const req: ScoreRequest = { user: { id: `u${seed}`, features: feats('user') }, context: feats('context') };
  if (nItems) req.items = Array.from({ length: nItems }, (_, i) => ({ id: `i${seed}-${i}`, features: feats('item') }));
  if (nCoupons) req.coupons = Array.from({ length: nCoupons }, (_, i) => ({ id: `c${seed}-${i}`, features: feats('coupon') }));
  return req;
}

/** The request's rows as the worker encodes them (items first, then coupons; score.ts). */
export function encodeRequest(layout: FeatureLayout, req: ScoreRequest): EncodedBatch {
  const candidates: ServingCandidate[] = [
    ...(req.items ?? []).map((c) => ({ id: c.id, kind: 'item' as const, features: c.features as ServingCandidate['features'] })),
    ...(req.coupons ?? []).map((c) => ({ id: c.id, kind: 'coupon' as const, features: c.features as ServingCandidate['features'] })),
  ];
  return assembleBatch(layout, { userId: req.user.id, user: req.user.features as ServingCandidate['features'], context: req.context as ServingCandidate['features'], candidates });
}
