// Stable 32-bit string hash shared by the trainer and the worker.
// FNV-1a over UTF-16 code units, then murmur3's fmix32 finaliser so that nearby strings
// ("u1", "u2") spread over all buckets. Pure integer math: identical in Node and workerd.

export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's fmix32: a bijective 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seed per field, so the same raw value in two fields does not collide in the same way. */
export function fieldSeed(field: string): number {
  return hash32(field, 0x9747b28c);
}

/**
 * Bucket of a raw categorical value inside its field, in [1, buckets).
 * Bucket 0 of every field is reserved for "missing" (null, undefined, empty string).
 */
export function bucketOf(value: string, buckets: number, seed: number): number {
  if (value === '') return 0;
  return 1 + (hash32(value, seed) % (buckets - 1));
}
