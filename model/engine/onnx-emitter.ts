// What a layer may ask of the ONNX writer. Layers emit their own nodes through this
// interface (one model definition: training and export walk the same layers); the writer
// behind it (model/onnx/writer.ts) decides how weights are stored (fp32, or int8 with a
// chosen scheme). The ops implement against this contract, so it lives in the engine and
// the writer imports it from here: every import points down.

import type { EmbeddingTable } from './params.ts';

export type AttrValue = number | string | number[];

export interface OnnxEmitter {
  /** Adds one node and returns the name of its (first) output. */
  node(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, nOutputs?: number): string;
  /** Like node() but returns all output names. */
  nodeMulti(opType: string, inputs: string[], nOutputs: number, attrs?: Record<string, AttrValue>): string[];
  /** A float32 constant (biases and other small tensors; never quantized). */
  floatConst(hint: string, data: Float32Array, dims: number[]): string;
  /** An int32 constant (compared with ids). */
  int32Const(values: number[]): string;
  /** An int64 constant (shapes, axes). */
  int64Const(values: number[]): string;
  /** x [.., inDim] times a weight matrix w [inDim, outDim] (row-major): fp32 or quantized. */
  matmul(x: string, w: Float32Array, inDim: number, outDim: number, hint: string): string;
  /** Rows of an embedding table for int32 ids of any shape: result shape ids.shape + [dim]. */
  embedding(table: EmbeddingTable, ids: string): string;
  /** The graph's input names (see model/onnx/inputs.ts for their shapes). */
  readonly inputs: { cat: string; multi: string[]; num: string };
}
