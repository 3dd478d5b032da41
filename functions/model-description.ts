// What GET /v1/model says about the features: only those a client may send (not the
// server-set candidate_kind, nor the derived match features), each numeric one with the raw range the z-score rule accepts
// (schemas.ts numericValue), each categorical one with a few of its most frequent training
// values (the fitted vocabulary of the manifest, most frequent first), so a client built from
// this list sends valid, varied rows.

import { isClientInput } from '../model/features/match.ts';
import type { FeatureSpec } from '../model/features/spec.ts';

export const FREQUENT_VALUES = 5;

export interface ClientFeature {
  name: string;
  entity: FeatureSpec['entity'];
  kind: FeatureSpec['kind'];
  /** Numeric: the accepted raw values; null = unbounded on that side. */
  range?: { min: number | null; max: number | null };
  /** Numeric: the raw value at the training mean (what a missing value is encoded as). */
  typical?: number;
  /** Categorical / multi: a few frequent training values, most frequent first. */
  values?: string[];
}

const round = (x: number) => Number(x.toPrecision(6));

export function clientFeatures(features: readonly FeatureSpec[], maxAbsZ: number): ClientFeature[] {
  return features
    .filter(isClientInput)
    .map((f): ClientFeature => {
      const out: ClientFeature = { name: f.name, entity: f.entity, kind: f.kind };
      if (f.kind === 'numeric') {
        const std = f.std > 0 ? f.std : 1;
        const lo = f.mean - maxAbsZ * std;
        const hi = f.mean + maxAbsZ * std;
        if (f.transform === 'log1p') {
          // Negative inputs are clamped to 0 by the encoder (t = log1p(max(0, x))): below is open if t = 0 is accepted.
          out.range = { min: lo <= 0 ? null : round(Math.expm1(lo)), max: Number.isFinite(Math.expm1(hi)) ? round(Math.expm1(hi)) : null };
          out.typical = round(Math.expm1(f.mean));
        } else {
          out.range = { min: round(lo), max: round(hi) };
          out.typical = round(f.mean);
        }
      } else if (f.values?.length) out.values = f.values.slice(0, FREQUENT_VALUES);
      return out;
    });
}
