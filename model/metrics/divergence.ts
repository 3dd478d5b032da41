// How far two models' scores on the same rows are apart (shadow scoring, functions/shadow.ts):
// mean absolute difference, and Spearman's rank correlation over the first model's top k.
// Pure functions, no runtime imports (the worker uses them).

export const SHADOW_TOP_K = 10;

export interface TaskDivergence {
  rows: number;
  mad: number | null;
  topk: number;
  rank_corr: number | null;
}

/** Ranks (0 = smallest, ties averaged) of xs. */
function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    for (let k = i; k <= j; k++) out[idx[k]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/** Spearman's rho (Pearson correlation of the ranks); null when either side is constant or n < 2. */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  const n = a.length;
  if (n < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (n - 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - m) * (rb[i] - m);
    saa += (ra[i] - m) ** 2;
    sbb += (rb[i] - m) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/** Divergence of one task over the given rows (indices into both probability arrays). */
export function taskDivergence(live: ArrayLike<number>, shadow: ArrayLike<number>, rows: readonly number[], k = SHADOW_TOP_K): TaskDivergence {
  if (!rows.length) return { rows: 0, mad: null, topk: 0, rank_corr: null };
  let sum = 0;
  for (const r of rows) sum += Math.abs(live[r] - shadow[r]);
  const top = [...rows].sort((a, b) => live[b] - live[a] || a - b).slice(0, k);
  return {
    rows: rows.length,
    mad: sum / rows.length,
    topk: top.length,
    rank_corr: spearman(
      top.map((r) => live[r]),
      top.map((r) => shadow[r]),
    ),
  };
}
