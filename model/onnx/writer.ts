// ONNX export: walks the graph the trainer runs, asking each op to emit its own nodes through
// the OnnxEmitter below (the network is defined once; there is no hand-kept copy of it), and
// writes an ONNX ModelProto (opset 15, IR 8) with onnx-proto. Inputs and outputs: inputs.ts.
//
// Weights: 'fp32' stores every parameter as float32. 'int8' stores
//  - embedding tables as int8 rows with float16 per-row scales (quantize.ts), dequantized
//    after the gather: Gather(int8 rows) -> Cast, Gather(scales) -> Cast, Mul;
//  - dense weights as int8 with per-column (default) or per-tensor float32 scales, run by
//    one of two schemes:
//      'dynamic':     DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8) -> Cast -> Mul by
//                     (x_scale * w_scale); the layout onnxruntime's own quantize_dynamic
//                     writes, which ORT fuses into one DynamicQuantizeMatMul kernel;
//      'weight-only': DequantizeLinear(W_s8, w_scale, axis=1) -> MatMul in float.
//    Matmuls with fewer than `minQuantizedColumns` output columns (default 2: the 1-wide task
//    heads) keep float32 weights: they are a few dozen bytes, so int8 saves nothing there
//    (and in the dynamic scheme would add one more activation quantization per task).
//
// Dense layers that read the same tensor are written as one MatMul, and by default the first
// layers are request-shared (first-layer.ts, request-inputs.ts): same probabilities as the
// per-row graph (ExportOptions.sharing 'per-row'), the user and context part once per request.
//
// DEFAULT_INT8_SCHEME is 'weight-only': see the comment on the constant (export-options.ts) for
// the measurements behind the choice (scripts/bench/export-variants.ts reproduces them). Embedding tables are
// quantized the same way in both schemes; they are most of the file (int8 / fp32 = 0.28).

import type { Graph, GraphNode } from '../engine/graph.ts';
import type { EmbeddingTable } from '../engine/params.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { AttrValue, OnnxEmitter } from '../engine/onnx-emitter.ts';
import { Dense } from '../engine/ops/dense.ts';
import { featureColumns } from './feature-columns.ts';
import { emitDenseGroup, type LayerWriter, type WeightPart } from './first-layer.ts';
import { BATCH_DIM, checkOutputNames, inputSpecs } from './inputs.ts';
import { requestInputSpecs } from './request-inputs.ts';
import { attribute, DataType, int64Bytes, onnx, tensor, valueInfo, type NodeProto, type TensorProto } from './proto.ts';
import { DEFAULT_INT8_SCHEME, quantizationLabel, type ExportOptions, type Int8Scheme, type Sharing } from './export-options.ts';
import { quantizeMatrix, quantizeTable } from './quantize.ts';

export const OPSET = 15;
export const IR_VERSION = 8;
export const PRODUCER = 'edge-mtl';

// protobuf messages cannot exceed 2 GiB; stay clear of it (larger tables would need ONNX
// external data, which onnxruntime-web at the edge cannot load from a single file anyway).
const MAX_MODEL_BYTES = 2 ** 31 - 2 ** 24;

class Writer implements LayerWriter {
  readonly inputs: { cat: string; multi: string[]; num: string };
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly consts = new Map<string, string>();
  private readonly tables = new Map<EmbeddingTable, { rows: string; scales?: string; rowsPerScale: number }>();
  private readonly quantizedInputs = new Map<string, string[]>();
  /** Nodes by (op, inputs, attributes): a layer that asks for one already in the graph gets its outputs. */
  private readonly emitted = new Map<string, string[]>();
  private nodeCount = 0;
  private initBytes = 0;
  readonly scheme: Int8Scheme;
  readonly int8: boolean;
  /** Dense layers reading one input are emitted as one MatMul (not with the dynamic scheme). */
  readonly fuse: boolean;
  readonly sharing: Sharing;

  constructor(
    readonly layout: FeatureLayout,
    readonly opts: ExportOptions,
    reserved: readonly string[],
  ) {
    if (opts.quantization !== 'fp32' && opts.quantization !== 'int8') throw new Error(`onnx: unknown quantization ${String(opts.quantization)}`);
    this.int8 = opts.quantization === 'int8';
    this.scheme = opts.scheme ?? DEFAULT_INT8_SCHEME;
    if (this.scheme !== 'dynamic' && this.scheme !== 'weight-only') throw new Error(`onnx: unknown int8 scheme ${String(opts.scheme)}`);
    this.fuse = (opts.fuse ?? true) && (!this.int8 || this.scheme === 'weight-only');
    this.sharing = opts.sharing ?? (this.fuse ? 'request' : 'per-row');
    if (this.sharing !== 'request' && this.sharing !== 'per-row') throw new Error(`onnx: unknown sharing ${String(opts.sharing)}`);
    if (this.sharing === 'request' && !this.fuse) {
      throw new Error(opts.fuse === false ? 'onnx: sharing request needs fuse' : 'onnx: the dynamic int8 scheme cannot be request-shared (it quantizes the whole batch at once); use sharing per-row');
    }
    for (const s of this.inputSpecs()) this.names.add(s.name);
    for (const r of reserved) this.names.add(r);
    this.inputs = { cat: 'cat', multi: layout.multi.map((m) => `multi_${m.name}`), num: 'num' };
  }

  /** The graph inputs: inputs.ts, and request-inputs.ts when request-shared. */
  inputSpecs() {
    const own = inputSpecs(this.layout).map((s) => ({ ...s, rank: 2 as 1 | 2 }));
    return this.sharing === 'request' ? [...own, ...requestInputSpecs(this.layout)] : own;
  }

  withInputs(inputs: OnnxEmitter['inputs']): OnnxEmitter {
    return {
      inputs,
      node: (...a) => this.node(...a),
      nodeMulti: (...a) => this.nodeMulti(...a),
      floatConst: (...a) => this.floatConst(...a),
      int32Const: (...a) => this.int32Const(...a),
      int64Const: (...a) => this.int64Const(...a),
      matmul: (...a) => this.matmul(...a),
      embedding: (...a) => this.embedding(...a),
    };
  }

  /** A tensor name not used yet, derived from `hint`. */
  private fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 't';
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private emit(opType: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>): void {
    for (const i of inputs) if (i !== '' && !this.names.has(i)) throw new Error(`onnx: ${opType} reads unknown tensor "${i}"`);
    this.nodes.push({
      name: `${opType}_${this.nodeCount++}`,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
  }

  node(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, nOutputs = 1): string {
    return this.nodeMulti(opType, inputs, nOutputs, attrs)[0];
  }

  nodeMulti(opType: string, inputs: string[], nOutputs: number, attrs?: Record<string, AttrValue>): string[] {
    // Every op emitted is a pure function of its inputs, so equal nodes are one node: e.g. the
    // experts stacked for MMoE's mix, which every task's gate would otherwise copy again.
    const key = `${opType}|${nOutputs}|${inputs.join(',')}|${JSON.stringify(attrs ?? {})}`;
    const seen = this.emitted.get(key);
    if (seen) return seen;
    const id = this.nodeCount;
    const outs = Array.from({ length: nOutputs }, (_, k) => this.fresh(nOutputs === 1 ? `${opType}_${id}` : `${opType}_${id}_${k}`));
    this.emit(opType, inputs, outs, attrs);
    this.emitted.set(key, outs);
    return outs;
  }

  private init(hint: string, dataType: number, dims: readonly number[], data: ArrayBufferView): string {
    const name = this.fresh(hint);
    this.inits.push(tensor(name, dataType, dims, data));
    this.initBytes += data.byteLength;
    if (this.initBytes > MAX_MODEL_BYTES) throw new Error(`onnx: parameters exceed ${MAX_MODEL_BYTES} bytes, beyond what one protobuf message can hold`);
    return name;
  }

  /** Small constants are shared by value (the many [1] axes, the padding id, ...). */
  private constant(hint: string, dataType: number, dims: readonly number[], data: ArrayBufferView): string {
    if (data.byteLength > 64) return this.init(hint, dataType, dims, data);
    const key = `${dataType}|${dims.join('x')}|${Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).join(',')}`;
    let name = this.consts.get(key);
    if (!name) this.consts.set(key, (name = this.init(hint, dataType, dims, data)));
    return name;
  }

  floatConst(hint: string, data: Float32Array, dims: number[]): string {
    return this.constant(hint, DataType.FLOAT, dims, data);
  }

  int32Const(values: number[]): string {
    return this.constant(`i32_${values.join('_')}`, DataType.INT32, [values.length], Int32Array.from(values));
  }

  int64Const(values: number[]): string {
    return this.constant(`i64_${values.join('_')}`, DataType.INT64, [values.length], int64Bytes(values));
  }

  /** int8 values and per-column scales of a dense weight, or null when it stays float32. */
  private quantizedData(w: Float32Array, inDim: number, outDim: number, hint: string): { q: Int8Array; scales: Float32Array; perTensor: boolean } | null {
    if (w.length !== inDim * outDim) throw new Error(`onnx: weight ${hint} has ${w.length} values, expected ${inDim}x${outDim}`);
    if (!this.int8 || outDim < (this.opts.minQuantizedColumns ?? 2)) return null;
    const granularity = this.opts.weights ?? 'per-column';
    return { ...quantizeMatrix(w, inDim, outDim, granularity), perTensor: granularity === 'per-tensor' };
  }

  private quantized(w: Float32Array, inDim: number, outDim: number, hint: string): { q: string; scale: string; perTensor: boolean } | null {
    const d = this.quantizedData(w, inDim, outDim, hint);
    if (!d) return null;
    return { q: this.init(`${hint}.q`, DataType.INT8, [inDim, outDim], d.q), scale: this.init(`${hint}.scale`, DataType.FLOAT, d.perTensor ? [] : [outDim], d.scales), perTensor: d.perTensor };
  }

  weight(w: Float32Array, inDim: number, outDim: number, hint: string): string {
    if (this.int8 && this.scheme !== 'weight-only') throw new Error('onnx: a float weight tensor of the dynamic scheme');
    const qw = this.quantized(w, inDim, outDim, hint);
    if (!qw) return this.init(hint, DataType.FLOAT, [inDim, outDim], w);
    return this.node('DequantizeLinear', [qw.q, qw.scale], qw.perTensor ? {} : { axis: 1 });
  }

  weightRows(parts: readonly WeightPart[], rowSets: readonly (readonly number[])[]): string[] {
    const inDim = parts[0].inDim;
    if (parts.some((p) => p.inDim !== inDim)) throw new Error('onnx: weights side by side need the same rows');
    const O = parts.reduce((a, p) => a + p.outDim, 0);
    const hint = parts.length === 1 ? parts[0].hint : `${parts[0].hint}+${parts.length - 1}`;
    const quant = parts.map((p) => this.quantizedData(p.w, p.inDim, p.outDim, p.hint));
    // Rows `rows` of the members' matrices side by side: [rows.length, O].
    const sideBySide = <T extends Int8Array | Float32Array>(make: (n: number) => T, data: (m: number) => ArrayLike<number>, rows: readonly number[]): T => {
      const out = make(rows.length * O);
      let off = 0;
      parts.forEach((p, m) => {
        const src = data(m);
        rows.forEach((r, k) => {
          for (let j = 0; j < p.outDim; j++) out[k * O + off + j] = src[r * p.outDim + j];
        });
        off += p.outDim;
      });
      return out;
    };
    if (quant.every((q) => q !== null)) {
      // Per-column scales side by side (a per-tensor scale repeated over its columns): the same
      // dequantized values as each layer's own DequantizeLinear.
      const scales = new Float32Array(O);
      let off = 0;
      parts.forEach((p, m) => {
        const s = quant[m]!;
        for (let j = 0; j < p.outDim; j++) scales[off + j] = s.perTensor ? s.scales[0] : s.scales[j];
        off += p.outDim;
      });
      const sName = this.init(`${hint}.scale`, DataType.FLOAT, [O], scales);
      return rowSets.map((rows) => {
        const q = this.init(`${hint}.q`, DataType.INT8, [rows.length, O], sideBySide((n) => new Int8Array(n), (m) => quant[m]!.q, rows));
        return this.node('DequantizeLinear', [q, sName], { axis: 1 });
      });
    }
    if (quant.every((q) => q === null)) {
      return rowSets.map((rows) => this.init(hint, DataType.FLOAT, [rows.length, O], sideBySide((n) => new Float32Array(n), (m) => parts[m].w, rows)));
    }
    // Some quantized, some not (a 1-wide layer next to wider ones): each its own, side by side.
    return rowSets.map((rows) => {
      return this.node('Concat', parts.map((p) => this.weightRows([p], [rows])[0]), { axis: 1 });
    });
  }

  matmul(x: string, w: Float32Array, inDim: number, outDim: number, hint: string): string {
    if (this.scheme === 'weight-only' || !this.int8) return this.node('MatMul', [x, this.weight(w, inDim, outDim, hint)]);
    const qw = this.quantized(w, inDim, outDim, hint);
    if (!qw) return this.node('MatMul', [x, this.init(hint, DataType.FLOAT, [inDim, outDim], w)]);
    const qName = qw.q;
    const sName = qw.scale;
    // One DynamicQuantizeLinear per activation tensor, shared by every matmul reading it.
    let xq = this.quantizedInputs.get(x);
    if (!xq) this.quantizedInputs.set(x, (xq = this.nodeMulti('DynamicQuantizeLinear', [x], 3)));
    const [xu8, xScale, xZero] = xq;
    const acc = this.node('MatMulInteger', [xu8, qName, xZero]);
    const accF = this.node('Cast', [acc], { to: DataType.FLOAT });
    return this.node('Mul', [accF, this.node('Mul', [xScale, sName])]);
  }

  embedding(table: EmbeddingTable, ids: string): string {
    let t = this.tables.get(table);
    if (!t) {
      if (!this.int8) {
        t = { rows: this.init(table.name, DataType.FLOAT, [table.rows, table.dim], table.data), rowsPerScale: 1 };
      } else {
        const qt = quantizeTable(table.data, table.rows, table.dim);
        t = {
          rows: this.init(`${table.name}.q`, DataType.INT8, [table.rows, table.dim], qt.q),
          scales: this.init(`${table.name}.scale`, DataType.FLOAT16, [qt.scales.length, 1], qt.scales),
          rowsPerScale: qt.rowsPerScale,
        };
      }
      this.tables.set(table, t);
    }
    const rows = this.node('Gather', [t.rows, ids], { axis: 0 });
    if (!t.scales) return rows;
    const group = t.rowsPerScale > 1 ? this.node('Div', [ids, this.int32Const([t.rowsPerScale])]) : ids;
    const scale = this.node('Cast', [this.node('Gather', [t.scales, group], { axis: 0 })], { to: DataType.FLOAT });
    return this.node('Mul', [this.node('Cast', [rows], { to: DataType.FLOAT }), scale]);
  }

  /** Names the outputs, drops whatever they do not need, and encodes the model. */
  finish(outputs: { task: string; tensor: string }[], graphName: string): Uint8Array {
    for (const o of outputs) this.emit('Identity', [o.tensor], [o.task]);
    const needed = new Set(outputs.map((o) => o.task));
    const kept: NodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (!n.output!.some((o) => needed.has(o))) continue;
      kept.push(n);
      for (const x of n.input!) needed.add(x);
    }
    kept.reverse();
    const specs = this.inputSpecs();
    // Request rows: R; each 1-D index input its own length (base_<g>: one row).
    const dimsOf = (s: { name: string; width: number; rank: 1 | 2 }): (string | number)[] => {
      if (s.rank === 1) return [s.name.startsWith('base_') ? 1 : `len_${s.name}`];
      return [s.name.startsWith('req_') ? 'R' : BATCH_DIM, s.width];
    };
    const metadata: Record<string, string> = {
      quantization: quantizationLabel(this.opts),
      sharing: this.sharing,
      inputs: specs.map((s) => `${s.name}:${s.type}[${dimsOf(s).join(',')}]`).join(' '),
      outputs: outputs.map((o) => `${o.task}:float32[${BATCH_DIM},1]`).join(' '),
      ...this.opts.metadata,
    };
    const model = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: PRODUCER,
      producerVersion: '1',
      docString:
        'Multi-task recommender. Inputs: cat (global embedding rows), multi_<field> (rows, 0 = padding), ' +
        'num (numeric features ALREADY normalised by the shared feature module). One [N, 1] probability per task.',
      graph: {
        name: graphName,
        node: kept,
        initializer: this.inits.filter((t) => needed.has(t.name!)),
        input: specs.map((s) => valueInfo(s.name, s.type === 'int32' ? DataType.INT32 : DataType.FLOAT, dimsOf(s))),
        output: outputs.map((o) => valueInfo(o.task, DataType.FLOAT, [BATCH_DIM, 1])),
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
    return new Uint8Array(onnx.ModelProto.encode(model).finish());
  }
}

/**
 * The ONNX model of a graph, its parameters as they are now (fp32, or int8 per `opts`).
 * Outputs are named after the tasks, in graph.outputs order.
 */
export function exportOnnx(graph: Graph, layout: FeatureLayout, opts: ExportOptions): Uint8Array {
  const tasks = graph.outputs.map((o) => o.task);
  checkOutputNames(layout, tasks);
  const w = new Writer(layout, opts, tasks);
  const names = new Map<GraphNode, string>();
  // Dense layers by the node they read: emitted together (first-layer.ts).
  const readers = new Map<GraphNode, GraphNode[]>();
  if (w.fuse) for (const n of graph.nodes) if (n.op instanceof Dense) (readers.get(n.inputs[0]) ?? readers.set(n.inputs[0], []).get(n.inputs[0])!).push(n);
  for (const n of graph.nodes) {
    if (names.has(n)) continue;
    const ins = n.inputs.map((i) => names.get(i) ?? fail(`node ${n.id} (${n.op.type}) reads node ${i.id} before it is emitted`));
    const group = n.op instanceof Dense ? readers.get(n.inputs[0]) : undefined;
    const cols = group && w.sharing === 'request' ? featureColumns(n.inputs[0], layout) : null;
    if (group && (group.length > 1 || cols)) {
      emitDenseGroup(w, layout, group, ins[0], cols).forEach((y, i) => names.set(group[i], y));
      continue;
    }
    names.set(n, n.op.onnx(w, ins));
  }
  return w.finish(
    graph.outputs.map((o) => ({ task: o.task, tensor: names.get(o.node)! })),
    'edge_mtl',
  );
}

function fail(why: string): never {
  throw new Error(`onnx: ${why}`);
}
