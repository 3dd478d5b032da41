// The sample request `npm start` prints, built from the served model's GET /v1/model: only
// the features a client may send, categorical ones from the model's frequent training values
// (a different one per candidate, so the candidates do not all score the same), numeric ones
// around the training mean within the accepted range. The <entity>_id features are left to
// the request ids.

import type { ClientFeature } from '../../functions/model-description.ts';
import { kindsOf, type KindSpec } from '../../model/features/kinds.ts';
import { withValueFeatures } from '../lib/candidate-mix.ts';

export interface ModelDescription {
  features: ClientFeature[];
  tasks: { appliesTo: string }[];
  /** The candidate kinds (GET /v1/model lists them; absent from older workers: items and coupons). */
  kinds?: KindSpec[];
  limits: { maxAbsZScore: number };
}

function sampleValue(f: ClientFeature, maxAbsZ: number, k: number): unknown {
  if (f.kind === 'numeric') {
    if (f.typical === undefined) return undefined;
    const { min, max } = f.range ?? { min: null, max: null };
    // The range is mean +- maxAbsZ standard deviations: one std is its width / (2 maxAbsZ).
    const std = min !== null && max !== null ? (max - min) / (2 * maxAbsZ) : Math.abs(f.typical);
    const x = f.typical + (k - 1) * 0.8 * std;
    const clamped = Math.min(max ?? Infinity, Math.max(min ?? -Infinity, f.typical > 0 && x < 0 ? f.typical / (k + 2) : x));
    return Math.round(clamped * 100) / 100;
  }
  const words = f.values ?? [];
  if (f.name.endsWith('_id') || !words.length) return undefined; // ids: the request's; no vocabulary: missing
  if (f.kind === 'multi') return [words[k % words.length], words[(k + 2) % words.length]];
  return words[(k * 2 + 1) % words.length];
}

function featuresOf(m: ModelDescription, entity: string, k: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of m.features) {
    if (f.entity !== entity) continue;
    const v = sampleValue(f, m.limits.maxAbsZScore, k);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

export function sampleRequest(m: ModelDescription): Record<string, unknown> {
  const has = (kind: string) => m.tasks.some((t) => t.appliesTo === kind);
  const body: Record<string, unknown> = { user: { id: 'u42', features: featuresOf(m, 'user', 1) }, context: featuresOf(m, 'context', 2) };
  kindsOf(m).forEach((kind, n) => {
    if (!has(kind.name)) return;
    // Three of the first kind, two of every other; ids prefixed by the kind's initial.
    body[kind.field] = Array.from({ length: n === 0 ? 3 : 2 }, (_, k) => {
      // Expected-value kinds need their value features (a bid, ...) even when the model does not use them.
      const features = withValueFeatures(kind, featuresOf(m, kind.name, k), 1 + k);
      return { id: n === 0 ? `${kind.name[0]}${101 + k * 7}` : `${kind.name[0]}${3 + k}`, features };
    });
  });
  return body;
}
