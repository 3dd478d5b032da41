// The contract of a 200 answer of POST /v1/score, checked from the client side (npm run load,
// the worker fuzz test): every requested id exactly once per list (or the top_k best), each
// with a finite probability in [0, 1] for every task of its kind, finite scores in
// descending order.

import { DEFAULT_KINDS, type KindSpec } from '../../model/features/kinds.ts';

export interface ContractTask {
  name: string;
  appliesTo: string;
}

type Requested = { top_k?: number } & Record<string, unknown>;

/** null when `body` keeps the contract for `request`, else the first violation found (kinds: the model's; default item + coupon). */
export function scoreContractViolation(body: unknown, request: Requested, tasks: readonly ContractTask[], kinds: readonly KindSpec[] = DEFAULT_KINDS): string | null {
  if (typeof body !== 'object' || body === null) return 'the body is not a JSON object';
  const b = body as Record<string, unknown>;
  for (const { name: kind, field: key } of kinds) {
    const list = b[key];
    if (!Array.isArray(list)) return `${key} is not an array`;
    const asked = ((request[key] as readonly { id: string }[] | undefined) ?? []).map((c) => c.id);
    const want = request.top_k === undefined ? asked.length : Math.min(request.top_k, asked.length);
    if (list.length !== want) return `${key}: ${list.length} entries for ${want} expected`;
    const askedSet = new Set(asked);
    const seen = new Set<string>();
    let last = Infinity;
    for (const [i, e] of list.entries()) {
      const x = e as Record<string, unknown>;
      if (typeof x?.id !== 'string' || !askedSet.has(x.id)) return `${key}[${i}].id was not requested`;
      if (seen.has(x.id)) return `${key}[${i}].id appears twice`;
      seen.add(x.id);
      if (typeof x.score !== 'number' || !Number.isFinite(x.score)) return `${key}[${i}].score is not a finite number`;
      if (x.score > last) return `${key} is not sorted by score at ${i}`;
      last = x.score;
      for (const t of tasks) {
        if (t.appliesTo !== kind) continue;
        const p = x[t.name];
        if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) return `${key}[${i}].${t.name} = ${String(p)} is not a probability`;
      }
    }
  }
  return null;
}
