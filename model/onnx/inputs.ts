// The exported model's inputs and outputs: names, element types and shapes. The worker
// builds its feeds from this (no node: imports here; workerd reads it).
//
//   cat              int32   [N, layout.catWidth]     global embedding rows (features/encode.ts):
//                                                     categorical fields, then numeric bins
//   multi_<field>    int32   [N, field.maxLen]        one per multi-valued field; 0 = padding
//   num              float32 [N, numeric.length]      ALREADY NORMALISED by the shared feature
//                                                     module (features/encode.ts normalise()):
//                                                     the (t(x) - mean) / std step stays outside
//                                                     the graph, so the worker and the trainer
//                                                     share one implementation of it.
//   <task name>      float32 [N, 1]                   one output per task: the probability.
//
// N is symbolic ("N"). Every input is always declared, even when an architecture does not
// read it (e.g. an empty `cat` when a layout has no single-valued field): the worker can
// then feed the same set of tensors to every model. Outputs are [N, 1] (the width-1 column
// the trainer computes); the data of an [N, 1] tensor is the same flat Float32Array of N
// values as an [N] one.

import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';

export const BATCH_DIM = 'N';
export const CAT_INPUT = 'cat';
export const NUM_INPUT = 'num';
export const MULTI_PREFIX = 'multi_';

/**
 * onnxruntime session config the exported models are meant to run with, in onnxruntime-web
 * (the worker) and onnxruntime-node alike. `session.disable_quant_qdq` lets onnxruntime's
 * constant folding turn the int8 weight-only scheme's DequantizeLinear(constant int8 weight)
 * into a float weight once, when the session starts; without it onnxruntime keeps those
 * nodes for its QDQ rewrites and dequantizes on every run (measured in onnxruntime-web:
 * +45% time at 100 rows, +8% at 1000). It changes nothing for fp32 or dynamic-int8 models.
 * The file stays int8 (size, download, cold start); only the small dense weights (not the
 * embedding tables, which are gathered as int8) become float in memory.
 */
export const SESSION_CONFIG: Readonly<Record<string, string>> = { 'session.disable_quant_qdq': '1' };

/**
 * The graph optimisation level of a session: none for a serving graph (optimize.ts: onnxruntime
 * ran its optimisers at export), all of them otherwise. The worker and run.ts both use it.
 */
export function optimizationLevel(preOptimized: boolean): 'disabled' | 'all' {
  return preOptimized ? 'disabled' : 'all';
}

/** SESSION_CONFIG in the shape of onnxruntime's SessionOptions.extra. */
export const SESSION_EXTRA = { session: { disable_quant_qdq: '1' } } as const;

export function multiInputName(field: string): string {
  return MULTI_PREFIX + field;
}

export interface TensorSpec {
  name: string;
  type: 'int32' | 'float32';
  /** Fixed width of the second axis (the first is N). */
  width: number;
}

/** The model inputs of a layout, in declaration order. */
export function inputSpecs(layout: FeatureLayout): TensorSpec[] {
  return [
    { name: CAT_INPUT, type: 'int32', width: layout.catWidth },
    ...layout.multi.map((m): TensorSpec => ({ name: multiInputName(m.name), type: 'int32', width: m.maxLen })),
    { name: NUM_INPUT, type: 'float32', width: layout.numeric.length },
  ];
}

/** Makes one input tensor of a runtime (onnxruntime-web in the worker, -node or -web in Node). */
export type TensorMaker<T> = (spec: TensorSpec, data: Int32Array | Float32Array, dims: [number, number]) => T;

/**
 * The model's feeds for rows [from, to) of a batch, every input found by its name (cat, num,
 * multi_<field>), never by position. `data` is a view of the batch's own arrays (no copy);
 * a maker that must not share that memory copies it.
 */
export function feedsOf<T>(layout: FeatureLayout, batch: EncodedBatch, tensor: TensorMaker<T>, from = 0, to = batch.n): Record<string, T> {
  const feeds: Record<string, T> = {};
  for (const spec of inputSpecs(layout)) {
    const w = spec.width;
    let src: Int32Array | Float32Array | undefined;
    if (spec.name === CAT_INPUT) src = batch.cat;
    else if (spec.name === NUM_INPUT) src = batch.num;
    else src = batch.multi[layout.multi.findIndex((m) => multiInputName(m.name) === spec.name)];
    if (!src || src.length < to * w) throw new Error(`onnx inputs: ${spec.name} holds ${src?.length ?? 0} values, need ${to * w}`);
    const data = from === 0 && src.length === to * w ? src : src.subarray(from * w, to * w);
    feeds[spec.name] = tensor(spec, data, [to - from, w]);
  }
  return feeds;
}

/** Output names are the task names, in graph.outputs (= manifest tasks) order. */
export function checkOutputNames(layout: FeatureLayout, tasks: readonly string[]): void {
  const taken = new Set(inputSpecs(layout).map((s) => s.name));
  for (const t of tasks) {
    if (!t) throw new Error('onnx: a task has an empty name');
    if (taken.has(t)) throw new Error(`onnx: task name "${t}" collides with another input or output name`);
    taken.add(t);
  }
}
