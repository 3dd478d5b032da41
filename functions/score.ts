// Scoring one validated request: one batch with every candidate (kind by kind in the model's
// kind order, each list in request order), one inference call (feeds by input name: model/onnx/inputs.ts
// feedsOf with ortTensor), per-kind task probabilities; ranking is model/serving/rank.ts.

import type { EncodedBatch } from '../model/features/encode.ts';
import type { TensorMaker } from '../model/onnx/inputs.ts';
import { assembleBatch, type ServingCandidate } from '../model/serving/assemble.ts';
import type { RawValue } from '../model/features/spec.ts';
import type { ModelInfo } from './model-info.ts';
import { Tensor, type OrtTensor } from './ort.ts';
import { listOf, type ValidRequest } from './validate.ts';

/** Every candidate of the request, list by list in the model's kind order, each in request order. */
export function candidatesOf(info: ModelInfo, req: ValidRequest): ServingCandidate[] {
  const out: ServingCandidate[] = [];
  for (const k of info.kinds) for (const c of listOf(req, k.field)) out.push({ id: c.id, kind: k.name, features: c.features });
  return out;
}

export function encode(info: ModelInfo, req: ValidRequest, user: Record<string, RawValue> | undefined, candidates: ServingCandidate[]): EncodedBatch {
  return assembleBatch(info.layout, { userId: req.user?.id, user, context: req.context, candidates });
}

/** An onnxruntime-web tensor over the batch's own memory (the session reads it, no copy). */
export const ortTensor: TensorMaker<OrtTensor> = (spec, data, dims) => new Tensor(spec.type, data, dims);

/** Probabilities of each task as a Float32Array of n values (outputs are [n, 1] or [n]). */
export function probabilities(info: ModelInfo, outputs: Record<string, OrtTensor>, n: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of info.tasks) {
    const o = outputs[t.name];
    const data = o?.data;
    if (!(data instanceof Float32Array) || data.length !== n) {
      throw new Error(`model output ${t.name}: expected ${n} float32 values, got ${o ? `${o.type} [${o.dims.join(', ')}]` : 'nothing'}`);
    }
    out.set(t.name, data);
  }
  return out;
}
