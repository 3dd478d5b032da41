// A seeded generator of /v1/score requests built from a manifest's features and tasks:
// a well-formed body, then 0-3 mutations of types, sizes, unicode and structure; for the
// worker fuzz test also mutations of the bytes and the transport (truncated or corrupted
// text, invalid UTF-8, chunked streaming, gzip / deflate, wrong headers). The same seed
// gives the same sequence.

import { deflateSync, gzipSync } from 'node:zlib';
import { Rng } from '../../model/engine/rng.ts';
import { isClientInput } from '../../model/features/match.ts';
import type { FeatureSpec, TaskSpec } from '../../model/features/spec.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const WEIRD_STRINGS = ['', ' ', '0', '-0', '1e3', ' 12.5 ', 'NaN', 'Infinity', '0x10', 'null', 'true', '\u0000', '\ud800', '😀'.repeat(3), 'ü'.repeat(5), '\u202e', 'a|b|c', '__proto__', 'constructor', 'x'.repeat(1100)];
const WEIRD_NUMBERS = [0, -0, -1, 1, 0.5, 1e-300, 1e300, -1e300, 2 ** 53, 123456789, 4.1, 3.2];

export class RequestFuzzer {
  private readonly rng: Rng;
  private readonly specs: FeatureSpec[];
  constructor(
    seed: number,
    features: readonly FeatureSpec[],
    private readonly tasks: readonly TaskSpec[],
    private readonly maxCandidates = 1000,
  ) {
    this.rng = new Rng(seed);
    this.specs = features.filter(isClientInput);
  }

  private int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }
  private chance(p: number): boolean {
    return this.rng.next() < p;
  }
  private pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  private goodValue(f: FeatureSpec): Json {
    if (f.kind === 'numeric') {
      const x = f.transform === 'log1p' ? Math.expm1(f.mean + f.std * (this.rng.next() * 4 - 2)) : f.mean + f.std * (this.rng.next() * 4 - 2);
      return this.chance(0.2) ? String(Math.round(x * 100) / 100) : this.chance(0.05) ? null : x;
    }
    if (f.kind === 'multi') return this.chance(0.3) ? `c${this.int(9)}|c${this.int(9)}` : Array.from({ length: this.int(7) }, () => (this.chance(0.1) ? this.int(50) : `c${this.int(20)}`));
    return this.chance(0.1) ? this.int(100) : this.chance(0.05) ? this.chance(0.5) : `v${this.int(30)}`;
  }

  private features(entities: string[]): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const f of this.specs) if (entities.includes(f.entity) && this.chance(0.6)) out[f.name] = this.goodValue(f);
    return out;
  }

  /** A body the schema accepts (except by chance: e.g. a context feature on a candidate row is fine). */
  validBody(): Record<string, Json> {
    const body: Record<string, Json> = {};
    const hasItems = this.tasks.some((t) => t.appliesTo === 'item');
    const hasCoupons = this.tasks.some((t) => t.appliesTo === 'coupon');
    if (this.chance(0.8)) body.user = { ...(this.chance(0.8) ? { id: `u${this.int(100)}` } : {}), ...(this.chance(0.7) ? { features: this.features(['user']) } : {}) };
    if (this.chance(0.8)) body.context = this.features(['context']);
    const nItems = hasItems ? this.int(12) : 0;
    const nCoupons = hasCoupons ? this.int(4) : 0;
    if (nItems || this.chance(0.5)) body.items = Array.from({ length: Math.max(nItems, nCoupons ? 0 : 1) }, (_, i) => ({ id: `i${i}`, ...(this.chance(0.9) ? { features: this.features(['item', ...(this.chance(0.2) ? ['context'] : [])]) } : {}) }));
    if (nCoupons) body.coupons = Array.from({ length: nCoupons }, (_, i) => ({ id: `c${i}`, features: this.features(['coupon']) }));
    if (this.chance(0.3)) {
      const weights: Record<string, Json> = {};
      for (const t of this.tasks) if (this.chance(0.5)) weights[t.name] = Math.round(this.rng.next() * 40) / 4;
      body.rank = { ...(this.chance(0.3) ? { formula: this.pick(['product', 'revenue']) } : {}), weights };
    }
    if (this.chance(0.2)) body.top_k = 1 + this.int(10);
    return body;
  }

  private weirdValue(depth = 0): Json {
    switch (this.int(depth > 2 ? 5 : 8)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick(WEIRD_NUMBERS);
      case 3:
        return this.pick(WEIRD_STRINGS);
      case 4:
        return 'y'.repeat(this.pick([1023, 1024, 1025, 16 * 1024 + 1]));
      case 5:
        return Array.from({ length: this.pick([0, 1, 3, 1001]) }, () => (this.chance(0.9) ? `c${this.int(5)}` : this.weirdValue(depth + 1)));
      case 6:
        return { [this.pick(['a', 'id', 'features', '__proto__', 'k'.repeat(200)])]: this.weirdValue(depth + 1) };
      default:
        return [this.weirdValue(depth + 1)];
    }
  }

  /** Every container (object or array) in `v` with its path, for picking a mutation site. */
  private sites(v: Json, out: (Json[] | { [k: string]: Json })[] = []): (Json[] | { [k: string]: Json })[] {
    if (v && typeof v === 'object') {
      out.push(v);
      for (const c of Array.isArray(v) ? v : Object.values(v)) this.sites(c, out);
    }
    return out;
  }

  /** 1-3 mutations of types, sizes, unicode and structure, in place. */
  mutate(body: Record<string, Json>): Json {
    let root: Json = body;
    const n = 1 + this.int(3);
    for (let m = 0; m < n; m++) {
      const all = this.sites(root);
      if (!all.length) break; // the root became a scalar
      const site = this.pick(all);
      const keys = Array.isArray(site) ? site.map((_, i) => i) : Object.keys(site);
      const op = this.int(9);
      if (op === 0 && keys.length) {
        // replace a value by one of another type or size
        const k = this.pick(keys as (string | number)[]);
        (site as Record<string | number, Json>)[k] = this.weirdValue();
      } else if (op === 1 && keys.length && !Array.isArray(site)) {
        delete site[this.pick(keys as string[])];
      } else if (op === 2 && !Array.isArray(site)) {
        site[this.pick(['colour', 'id', 'features', 'items', 'top_k', 'rank', '😀', 'k'.repeat(this.pick([100, 101, 5000])), 'user_gender', 'item_price', 'coupon_kind', 'candidate_kind', 'hour'])] = this.weirdValue();
      } else if (op === 3) {
        root = this.pick<Json>([[root], null, 'items', 42, []]);
      } else if (op === 4 && Array.isArray(site) && site.length) {
        site.push(JSON.parse(JSON.stringify(site[0])) as Json); // duplicate ids
      } else if (op === 5 && root && typeof root === 'object' && !Array.isArray(root)) {
        root.items = Array.from({ length: this.maxCandidates + 1 }, (_, i) => ({ id: `m${i}` }));
      } else if (op === 6 && root && typeof root === 'object' && !Array.isArray(root)) {
        root.top_k = this.pick<Json>([0, -1, 1.5, '3', this.maxCandidates + 1, 1e300, null]);
      } else if (op === 7 && root && typeof root === 'object' && !Array.isArray(root)) {
        root.rank = { formula: this.pick<Json>(['revenue', 'sum', 1, null]), weights: { [this.pick([...this.tasks.map((t) => t.name), 'ctr'])]: this.pick<Json>([-1, 0, 10, 10.5, '1', null]) } };
      } else if (!Array.isArray(site) && keys.length) {
        // a feature value of the wrong kind for its feature
        const k = this.pick(keys as string[]);
        site[k] = this.pick<Json>([{ x: 1 }, [1, [2]], '1e999', 'abc', -1e12, 1e12]);
      }
    }
    return root;
  }

  /** The next body as a JSON value: valid (about a third of the time) or mutated. */
  nextBody(): Json {
    const body = this.validBody();
    return this.chance(0.35) ? body : this.mutate(body);
  }

  /**
   * The next HTTP request: a body, sometimes with its bytes or transport mutated too. `plain`
   * is the body's bytes before compression (what a 200 must have been scored from); `what`
   * names the transport mutation; `init()` makes a fresh RequestInit each call (a streamed
   * body can be sent once).
   */
  nextRequest(): { init: () => RequestInit; plain: Uint8Array; what: string } {
    const value = this.nextBody();
    let text = JSON.stringify(value);
    let what = 'json';
    const enc = new TextEncoder();
    let bytes: Uint8Array = enc.encode(text);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const r = this.rng.next();
    if (r < 0.06) {
      bytes = bytes.subarray(0, this.int(bytes.length));
      what = 'truncated';
    } else if (r < 0.1) {
      bytes = new Uint8Array(bytes);
      bytes[this.int(bytes.length)] = this.pick([0xff, 0xc3, 0x00, 0x7b, 0x22]);
      what = 'corrupted byte';
    } else if (r < 0.12) {
      text = `\ufeff${text}${this.pick(['', 'x', ',', '}'])}`;
      bytes = enc.encode(text);
      what = 'BOM and trailer';
    }
    const plain = bytes;
    if (r >= 0.12 && r < 0.2) {
      what = 'gzip';
      bytes = new Uint8Array(gzipSync(bytes));
      headers['content-encoding'] = 'gzip';
      if (this.chance(0.2)) {
        bytes = bytes.subarray(0, Math.max(1, bytes.length - 1 - this.int(bytes.length)));
        what = 'cut gzip';
      }
    } else if (r < 0.24) {
      bytes = new Uint8Array(deflateSync(bytes));
      headers['content-encoding'] = 'deflate';
      what = 'deflate';
    } else if (r < 0.26) {
      headers['content-encoding'] = this.pick(['br', 'zstd', 'gzip, gzip', 'x'.repeat(500)]);
      what = 'unsupported encoding';
    } else if (r < 0.28) {
      headers['content-type'] = this.pick(['text/plain', 'application/jsonx', '', 'application/json; charset=latin1']);
      what = `content-type ${headers['content-type']}`;
    }
    if (this.chance(0.15)) {
      // chunked: the body as a stream of small pieces (at most ~2,000), no Content-Length
      const data = bytes;
      const step = Math.max(1 + this.int(64), Math.ceil(data.length / 2000));
      const stream = () => {
        let o = 0;
        return new ReadableStream<Uint8Array>({
          pull(ctrl) {
            if (o >= data.length) return ctrl.close();
            ctrl.enqueue(data.slice(o, (o += step)));
          },
        });
      };
      return { init: () => ({ method: 'POST', headers, body: stream(), duplex: 'half' }) as RequestInit, plain, what: `${what}, chunked` };
    }
    const body = bytes;
    return { init: () => ({ method: 'POST', headers, body }), plain, what };
  }
}
