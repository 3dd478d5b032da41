// Seeded randomness for the synthetic shop: the engine's sfc32 core (model/engine/rng.ts)
// seeded through a 32-bit integer hash, plus the samplers the simulator needs (normal, gamma,
// Dirichlet, alias tables for Zipf / arbitrary discrete distributions). Pure integer / float
// math, no node: imports, identical results everywhere.

import { Sfc32 } from '../../engine/rng.ts';
import { fmix32 } from '../../features/hash.ts';

export { fmix32 };

/** Any JS number (integer or not, up to 2^53) folded into 32 bits. */
export function seed32(seed: number): number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const x = Math.floor(Math.abs(seed));
  const lo = x >>> 0;
  const hi = Math.floor(x / 4294967296) >>> 0;
  return fmix32(lo ^ fmix32(hi + (seed < 0 ? 0x5bd1e995 : 0)));
}

/** Combine a seed with a stream tag and up to two indices into a new 32-bit seed. */
export function subSeed(seed: number, tag: number, a = 0, b = 0): number {
  let h = fmix32((seed ^ 0x9e3779b9) >>> 0);
  h = fmix32((h ^ Math.imul(tag + 1, 0x85ebca77)) >>> 0);
  h = fmix32((h + Math.imul(a ^ 0x27d4eb2f, 0x165667b1)) >>> 0);
  h = fmix32((h ^ Math.imul(b + 0x61c88647, 0xc2b2ae3d)) >>> 0);
  return h;
}

/** The shop's generator: the sfc32 core of the engine, re-seedable in place, with samplers. */
export class Rng extends Sfc32 {
  private spare = NaN;

  constructor(seed = 0) {
    super();
    this.reseed(seed);
  }

  /** Restart the stream from a 32-bit seed (state filled by splitmix32, then warmed up). */
  reseed(seed: number): this {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    const a = next();
    const b = next();
    const c = next();
    this.spare = NaN;
    this.setState(a, b, c, 1, 6);
    return this;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, the second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    let u = this.next();
    while (u <= 0) u = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** Gamma(shape, 1) by Marsaglia-Tsang (shape < 1 boosted by U^(1/shape)). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) {
      let u = this.next();
      while (u <= 0) u = this.next();
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Dirichlet(alpha) written into `out` (renormalised; never all zero). */
  dirichlet(alpha: ArrayLike<number>, out: Float64Array): Float64Array {
    let sum = 0;
    for (let k = 0; k < alpha.length; k++) {
      const g = this.gamma(alpha[k]);
      out[k] = g;
      sum += g;
    }
    if (!(sum > 0)) {
      out.fill(0);
      out[this.int(alpha.length)] = 1;
      return out;
    }
    for (let k = 0; k < alpha.length; k++) out[k] /= sum;
    return out;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: number[] | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

/** Index drawn from a cumulative distribution (last entry = total). Binary search. */
export function sampleCdf(rng: Rng, cdf: ArrayLike<number>, from = 0, to = cdf.length): number {
  const total = cdf[to - 1];
  const x = rng.next() * total;
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo - from;
}

/** Index drawn from weights w[from .. from + n), relative to `from` (a linear walk: small n). */
export function pickWeighted(rng: Rng, w: ArrayLike<number>, from = 0, n = w.length - from): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += w[from + i];
  let x = rng.next() * total;
  for (let i = 0; i < n; i++) {
    x -= w[from + i];
    if (x < 0) return i;
  }
  return n - 1;
}

/** Walker/Vose alias table: O(1) sampling from a fixed discrete distribution. */
export class AliasTable {
  readonly n: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  /** Normalised probabilities (for diagnostics and expectations). */
  readonly p: Float64Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('AliasTable needs at least one weight');
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weights[i] >= 0)) throw new Error(`bad weight ${weights[i]} at ${i}`);
      total += weights[i];
    }
    if (!(total > 0)) throw new Error('AliasTable weights sum to zero');
    this.n = n;
    this.p = new Float64Array(n);
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      this.p[i] = weights[i] / total;
      scaled[i] = this.p[i] * n;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
    for (let i = 0; i < n; i++) if (this.prob[i] === 1) this.alias[i] = i;
  }

  sample(rng: Rng): number {
    const i = rng.int(this.n);
    return rng.next() < this.prob[i] ? i : this.alias[i];
  }
}

/** Zipf-Mandelbrot weights (rank + q)^-s for ranks 1..n. */
export function zipfWeights(n: number, s: number, q = 0): Float64Array {
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = Math.pow(r + 1 + q, -s);
  return w;
}

/** Popularity of n entities, overall and within groups of them (coupons by scope, ads by category). */
export interface GroupedPopularity {
  alias: AliasTable;
  byGroup: Int32Array[];
  /** null for an empty group. */
  aliasByGroup: (AliasTable | null)[];
}

/**
 * Zipf weights (s, q) over a random order of the n entities (rng shuffles it), sampled overall
 * and within each group (lists of entity indices) by the same weights.
 */
export function groupedZipf(rng: Rng, n: number, zipf: { s: number; q: number }, groups: readonly number[][]): GroupedPopularity {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order);
  const zw = zipfWeights(n, zipf.s, zipf.q);
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[order[r]] = zw[r];
  const byGroup = groups.map((l) => Int32Array.from(l));
  return { alias: new AliasTable(w), byGroup, aliasByGroup: byGroup.map((l) => (l.length ? new AliasTable(Array.from(l, (j) => w[j])) : null)) };
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** x rounded to `digits` decimals (prices, ratings and observed values as a shop shows them). */
export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
