// Seeded randomness: one sfc32 core (Chris Doty-Humphrey's small fast counting PRNG: fast,
// good statistical quality, 32-bit state words) and the engine's generator for weight
// initialisation and shuffling, so every run with the same seed is bit-identical. The
// synthetic shop (model/data/synthetic/rng.ts) builds its re-seedable generator on the same
// core with its own seeding; each seeding's streams are pinned by test/rng.test.ts.

/** The sfc32 state and step; subclasses choose how a seed fills the state. */
export class Sfc32 {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** Sets the state and discards the first `warmup` outputs. */
  protected setState(a: number, b: number, c: number, d: number, warmup: number): void {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < warmup; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
}

/** The engine's generator: the seed is the counter word, the others fixed constants. */
export class Rng extends Sfc32 {
  constructor(seed: number) {
    super();
    this.setState(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0, 15);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle of the first n entries. */
  shuffle(a: Int32Array | Uint32Array, n = a.length): void {
    for (let i = n - 1; i > 0; i--) {
      const j = this.u32() % (i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
