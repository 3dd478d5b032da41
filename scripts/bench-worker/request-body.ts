// The request bodies of npm run bench:worker, built from the model's manifest: made-up
// categorical values, numeric ones around the training mean in raw units (x 0.5 to 1.5), the
// candidates split over the model's kinds by scripts/lib/candidate-mix.ts (80% items / 20%
// coupons for the default two kinds, so figures compare with earlier runs) with the value
// features of expected-value kinds (an ad's bid) filled in. Deterministic for a seed.

import type { KindSpec } from '../../model/features/kinds.ts';
import { candidateLists } from '../lib/candidate-mix.ts';

/** The part of manifest.json the bodies read. */
export interface BenchWorkerModel {
  features: { name: string; entity: string; kind: string; transform?: string; mean?: number; match?: unknown }[];
  tasks: { appliesTo: string }[];
  kinds?: KindSpec[];
}

export function requestBody(m: BenchWorkerModel, n: number, seed: number) {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const feats = (entity: string) => {
    const f: Record<string, unknown> = {};
    for (const x of m.features) {
      // Not the server-set kind, nor a derived match feature (the worker computes those).
      if (x.entity !== entity || x.name === 'candidate_kind' || x.match !== undefined || x.name.endsWith('_id')) continue;
      if (x.kind === 'numeric') f[x.name] = Math.round((x.transform === 'log1p' ? Math.expm1(x.mean ?? 0) : (x.mean ?? 0)) * (0.5 + r()) * 100) / 100;
      else if (x.kind === 'multi') f[x.name] = [`v${Math.floor(r() * 20)}`, `v${Math.floor(r() * 20)}`];
      else f[x.name] = `v${Math.floor(r() * 30)}`;
    }
    return f;
  };
  const user = { id: 'u42', features: feats('user') };
  const context = feats('context');
  return { user, context, ...candidateLists(m, n, (kind, i) => ({ id: `${kind.name[0]}${i}`, features: feats(kind.name) })) };
}
