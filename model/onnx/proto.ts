// Thin helpers over onnx-proto (the ONNX 1.10 schema, protobufjs 6): typed tensors as raw
// little-endian bytes, attributes, value infos. Only the writer and the tests use this.

import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
/** A decoded graph: repeated fields are always arrays. */
export type DecodedGraph = onnxProto.onnx.GraphProto;

export const DataType = onnx.TensorProto.DataType;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('onnx export needs a little-endian host');

/** A copy of the bytes of a typed array (never a view: kernel memory may be shared or reused). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

export function tensor(name: string, dataType: number, dims: readonly number[], data: ArrayBufferView): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytesOf(data) };
}

export function int64Bytes(values: readonly number[]): BigInt64Array {
  return BigInt64Array.from(values, (v) => BigInt(v));
}

// Attribute names whose numeric values are floats in the ONNX operator schemas (the others,
// axis / keepdims / to / ..., are ints).
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'ratio', 'bias', 'lambd', 'spatial_scale', 'value_float', 'value_floats']);

export function attribute(name: string, v: number | string | number[]): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  const isFloat = FLOAT_ATTRS.has(name);
  if (Array.isArray(v)) {
    if (isFloat || v.some((x) => !Number.isInteger(x))) return { name, type: T.FLOATS, floats: v };
    return { name, type: T.INTS, ints: v };
  }
  if (isFloat || !Number.isInteger(v)) return { name, type: T.FLOAT, f: v };
  return { name, type: T.INT, i: v };
}

/** A [dims...] tensor value info; a string dim is symbolic (e.g. the batch "N"). */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto & { graph: DecodedGraph } {
  const m = onnx.ModelProto.decode(bytes);
  if (!m.graph) throw new Error('onnx: model has no graph');
  return m as onnxProto.onnx.ModelProto & { graph: DecodedGraph };
}
