// The request bodies of npm run load, built from the served model's GET /v1/model: categorical
// values from small made-up vocabularies (unknown values hash like any other), numeric values
// in [0, 1) (within MAX_ABS_ZSCORE of any sane training range), the candidates split over the
// model's kinds by scripts/lib/candidate-mix.ts (80% items / 20% coupons for the default two
// kinds) with the value features of expected-value kinds (an ad's bid) filled in.

import type { KindSpec } from '../../model/features/kinds.ts';
import { candidateLists } from '../lib/candidate-mix.ts';
import type { ContractTask } from '../lib/score-contract.ts';

/** The part of GET /v1/model the load run reads (kinds: absent from older workers, then items and coupons). */
export interface LoadModelInfo {
  features: { name: string; entity: string; kind: 'categorical' | 'multi' | 'numeric' }[];
  tasks: ContractTask[];
  kinds?: KindSpec[];
  limits: { maxCandidates: number };
}

export type LoadBody = { user: { id: string; features: Record<string, unknown> }; context: Record<string, unknown> } & Record<string, unknown>;

/** Request body `variant` of n candidates (the values vary with the variant, so bodies differ). */
export function requestBody(info: LoadModelInfo, n: number, variant: number): LoadBody {
  const value = (f: LoadModelInfo['features'][number], k: number): unknown => {
    if (f.kind === 'numeric') return ((k * 7 + variant) % 10) / 10;
    if (f.kind === 'multi') return [`c${k % 20}`, `c${(k + variant) % 20}`];
    return `${f.name.slice(0, 3)}${(k * 13 + variant) % 40}`;
  };
  const of = (entity: string, k: number) => {
    const out: Record<string, unknown> = {};
    for (const f of info.features) if (f.entity === entity && f.name !== 'candidate_kind' && !f.name.endsWith('_id')) out[f.name] = value(f, k);
    return out;
  };
  const lists = candidateLists(info, n, (kind, i) => ({ id: `${kind.name[0]}${variant}-${i}`, features: of(kind.name, i) }));
  return { user: { id: `u${variant}`, features: of('user', variant) }, context: of('context', variant), ...lists };
}
