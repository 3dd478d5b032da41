// Quantization arithmetic for the int8 export (pure functions, no ONNX here).
//
// Embedding tables: symmetric int8 with one scale per row (scale = max|row| / 127), stored
// as float16. With a float32 scale a 16-wide table costs (16 + 4) / 64 = 31% of fp32 and
// misses the 30% budget; a float16 scale costs (16 + 2) / 64 = 28%, and its relative
// rounding error (2^-11) is 16 times smaller than the int8 step (1/254 of the row's max).
// Tables narrower than MIN_GROUP_VALUES (the 1-wide tables of the logistic baseline, tiny
// test models) share one scale between `rowsPerScale` consecutive rows, so a scale always
// covers at least MIN_GROUP_VALUES values and the table still comes out near 28%.
//
// Dense weights: symmetric int8 with one float32 scale per output column (or per tensor).

export const MIN_GROUP_VALUES = 16;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of x, rounded to nearest even (overflow -> inf). */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function quantizeInto(src: Float32Array, from: number, to: number, scale: number, dst: Int8Array): void {
  if (scale === 0) {
    dst.fill(0, from, to);
    return;
  }
  const inv = 1 / scale;
  for (let i = from; i < to; i++) dst[i] = Math.max(-127, Math.min(127, Math.round(src[i] * inv)));
}

export interface QuantizedTable {
  /** [rows, dim] int8. */
  q: Int8Array;
  /** [ceil(rows / rowsPerScale)] float16 bits. */
  scales: Uint16Array;
  rowsPerScale: number;
}

export function rowsPerScaleFor(dim: number): number {
  return Math.max(1, Math.ceil(MIN_GROUP_VALUES / dim));
}

/** Symmetric int8 rows with a float16 scale per group of rows (see the module comment). */
export function quantizeTable(data: Float32Array, rows: number, dim: number, rowsPerScale = rowsPerScaleFor(dim)): QuantizedTable {
  const groups = Math.ceil(rows / rowsPerScale);
  const q = new Int8Array(rows * dim);
  const scales = new Uint16Array(groups);
  for (let g = 0; g < groups; g++) {
    const from = g * rowsPerScale * dim;
    const to = Math.min(rows, (g + 1) * rowsPerScale) * dim;
    let amax = 0;
    for (let i = from; i < to; i++) amax = Math.max(amax, Math.abs(data[i]));
    if (!(amax > 0)) continue; // all zero (the padding row): scale 0, q 0
    let bits = toFloat16Bits(amax / 127);
    if (bits === 0) bits = 1; // below float16 range: smallest subnormal (values < 1e-5 anyway)
    scales[g] = bits;
    quantizeInto(data, from, to, fromFloat16Bits(bits), q);
  }
  return { q, scales, rowsPerScale };
}

/** The float values a quantized table stands for (tests, error estimates). */
export function dequantizeTable(t: QuantizedTable, dim: number): Float32Array {
  const out = new Float32Array(t.q.length);
  for (let i = 0; i < t.q.length; i++) out[i] = t.q[i] * fromFloat16Bits(t.scales[Math.floor(i / dim / t.rowsPerScale)]);
  return out;
}

export type WeightGranularity = 'per-column' | 'per-tensor';

export interface QuantizedMatrix {
  /** [inDim, outDim] int8, row-major like the float weights. */
  q: Int8Array;
  /** [outDim] (per-column) or [1] (per-tensor) float32 scales. */
  scales: Float32Array;
}

export function quantizeMatrix(w: Float32Array, inDim: number, outDim: number, granularity: WeightGranularity): QuantizedMatrix {
  const q = new Int8Array(inDim * outDim);
  if (granularity === 'per-tensor') {
    let amax = 0;
    for (let i = 0; i < inDim * outDim; i++) amax = Math.max(amax, Math.abs(w[i]));
    const s = Math.fround(amax / 127);
    quantizeInto(w, 0, inDim * outDim, s, q);
    return { q, scales: new Float32Array([s]) };
  }
  const scales = new Float32Array(outDim);
  for (let j = 0; j < outDim; j++) {
    let amax = 0;
    for (let i = 0; i < inDim; i++) amax = Math.max(amax, Math.abs(w[i * outDim + j]));
    scales[j] = amax / 127;
  }
  for (let i = 0; i < inDim; i++) {
    for (let j = 0; j < outDim; j++) {
      const s = scales[j];
      q[i * outDim + j] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(w[i * outDim + j] / s)));
    }
  }
  return { q, scales };
}
