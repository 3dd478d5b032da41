// What an ONNX export is asked for (writer.ts writes it): fp32 or int8, the int8 scheme and
// scale granularity, request-shared or per-row first layers, fused dense layers. The choices and
// the measurements behind the defaults live here; the manifest records quantizationLabel.

import type { WeightGranularity } from './quantize.ts';

export type Quantization = 'fp32' | 'int8';
export type Int8Scheme = 'dynamic' | 'weight-only';

/**
 * The default int8 scheme: 'weight-only' (per-column scales; run with SESSION_CONFIG of
 * inputs.ts, which folds the DequantizeLinear of constant weights at session start).
 *
 * Measured (scripts/bench/export-variants.ts; onnxruntime-web 1.30 wasm, 1 thread, Node 20, shared 2-core
 * machine, medians; MMoE with DEFAULT_ARCH_CONFIG, 15 categorical fields + a 5-long multi
 * field + 6 numerics, 300k x 16 table, 4 tasks):
 *
 *                        size     batch 100   batch 1000   max|p - p_fp32|
 *   fp32                 19.6 MB  0.96 ms     10.5 ms      -
 *   int8 dynamic          5.5 MB  0.76 ms      7.4 ms      4.6e-3 (random model)  2.5e-2 (trained)
 *   int8 weight-only      5.5 MB  1.04 ms     11.1 ms      9.8e-4 (random model)  1.9e-3 (trained)
 *
 * On the trained default MMoE (synthetic shop, 10,000 test rows) weight-only moves no task's
 * test AUC by more than 0.0004; dynamic costs 0.0016 to 0.0022 AUC on click and cart and
 * moves probabilities by up to 0.018 where the click base rate is 0.04. DynamicQuantizeLinear
 * also takes one scale for the whole batch, so a row's score depends on the other rows of
 * the request (batch of 1 != batch of 1000). Weight-only keeps fp32's answers per row and
 * fp32's speed; dynamic is about 30% faster at 1000 rows and stays available
 * (`scheme: 'dynamic'`, `npm run export -- --scheme dynamic`) when CPU time matters more.
 */
export const DEFAULT_INT8_SCHEME: Int8Scheme = 'weight-only';

/**
 * 'per-row': every candidate row is computed on its own (inputs.ts). 'request' (the default):
 * the per-request part of the first layers is computed once per request (first-layer.ts,
 * request-inputs.ts); same probabilities within float rounding. The dynamic int8 scheme is
 * always per-row (it quantizes the activations of the whole batch at once).
 */
export type Sharing = 'per-row' | 'request';

export interface ExportOptions {
  quantization: Quantization;
  /** Default 'request' (fp32, weight-only int8); see Sharing. */
  sharing?: Sharing;
  /**
   * Dense layers reading the same input as one MatMul (default true; never with the dynamic
   * scheme). false = one MatMul per layer, as before (kept for measurements: 'request' needs it).
   */
  fuse?: boolean;
  /** int8 only: how the dense layers run (default DEFAULT_INT8_SCHEME). */
  scheme?: Int8Scheme;
  /** int8 only: dense weight scales per output column (default) or one per matrix. */
  weights?: WeightGranularity;
  /** int8 only: matmuls with fewer output columns keep float32 weights (default 2). */
  minQuantizedColumns?: number;
  /** Extra metadata_props (e.g. the manifest version). */
  metadata?: Record<string, string>;
}

/** The label of a quantization choice, as recorded in the manifest's files.onnx / files.int8. */
export function quantizationLabel(o: ExportOptions): string {
  return o.quantization === 'fp32' ? 'fp32' : `int8-${o.scheme ?? DEFAULT_INT8_SCHEME}`;
}
