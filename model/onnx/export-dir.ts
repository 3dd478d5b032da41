// Exporting a trained model directory (manifest.json + weights.bin) to DIR/model.onnx,
// DIR/model.int8.onnx and the serving graph DIR/model.int8.optimized.onnx, and recording them in
// the manifest's files.onnx / files.int8 / files.serving. The CLI
// (scripts/export.ts) and the trainer (at the end of a run) call exportModelDir. Node only
// (node:fs, node:crypto): the worker never imports this module.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ARCH_CONFIG } from '../arch/builder.ts';
import { buildGraph, isArchName } from '../arch/index.ts';
import type { Graph } from '../engine/graph.ts';
import { createJsKernels } from '../engine/kernels/js.ts';
import { layoutOf, type FeatureLayout } from '../features/layout.ts';
import { checkManifest, type Manifest, type OnnxFileRecord, type ServingFileRecord } from '../manifest.ts';
import { loadWeights } from '../engine/weights-file.ts';
import type { WeightGranularity } from './quantize.ts';
import { optimizeForServing, optimizerName } from './optimize.ts';
import { exportOnnx, OPSET } from './writer.ts';
import { DEFAULT_INT8_SCHEME, quantizationLabel, type ExportOptions, type Int8Scheme } from './export-options.ts';

export const ONNX_FILE = 'model.onnx';
export const INT8_FILE = 'model.int8.onnx';
/** The int8 model after onnxruntime's optimisers (optimize.ts): what an int8 worker bundle serves. */
export const SERVING_FILE = 'model.int8.optimized.onnx';

export interface LoadedModel {
  manifest: Manifest;
  layout: FeatureLayout;
  /** The architecture rebuilt over JS kernels, with the checkpoint's weights loaded. */
  graph: Graph;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readOrFail(path: string, what: string): Buffer {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function readManifestJson(dir: string): Record<string, unknown> {
  const path = join(dir, 'manifest.json');
  const text = readOrFail(path, 'manifest').toString('utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`manifest ${path} is not valid JSON`);
  }
}

/** Reads DIR/manifest.json, rebuilds the graph it names and loads DIR's weights into it. */
export function loadModelDir(dir: string): LoadedModel {
  const manifest = checkManifest(readManifestJson(dir));
  const arch = manifest.architecture.name;
  if (!isArchName(arch)) throw new Error(`manifest names unknown architecture "${arch}"`);
  const layout = layoutOf(manifest.features);
  const graph = buildGraph(arch, createJsKernels(), layout, manifest.tasks, { ...DEFAULT_ARCH_CONFIG, ...manifest.architecture.config });
  const rec = manifest.files?.weights;
  const path = join(dir, rec?.path || 'weights.bin');
  const bytes = readOrFail(path, 'weights file');
  if (rec?.sha256 && sha256(bytes) !== rec.sha256) throw new Error(`weights file ${path} does not match the sha256 recorded in the manifest (corrupt or replaced)`);
  loadWeights(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), graph.params());
  return { manifest, layout, graph };
}

export interface ExportDirOptions {
  /** Scheme of model.int8.onnx (default DEFAULT_INT8_SCHEME, see writer.ts). */
  scheme?: Int8Scheme;
  /** Dense weight scales of model.int8.onnx (default per-column). */
  weights?: WeightGranularity;
}

export interface ExportDirResult {
  onnx: OnnxFileRecord;
  int8: OnnxFileRecord;
  serving: ServingFileRecord;
}

/** The files.serving record of `bytes`, the serving graph optimised from the int8 file `int8`. */
export async function servingRecord(int8: OnnxFileRecord, bytes: Uint8Array): Promise<ServingFileRecord> {
  return {
    path: SERVING_FILE,
    sha256: sha256(bytes),
    bytes: bytes.length,
    opset: OPSET,
    quantization: int8.quantization,
    from: { path: int8.path, sha256: int8.sha256 },
    optimizer: await optimizerName(),
  };
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Writes DIR/model.onnx (fp32), DIR/model.int8.onnx and DIR/model.int8.optimized.onnx (the
 * int8 graph as onnxruntime optimises it, which the worker serves: optimize.ts) and records
 * them (sha256, bytes, opset, quantization) in DIR/manifest.json; every other manifest field,
 * `version` included, is kept as it was. Throws an Error with a one-line message when the
 * directory is unusable.
 */
export async function exportModelDir(dir: string, opts: ExportDirOptions = {}): Promise<ExportDirResult> {
  const { manifest, layout, graph } = loadModelDir(dir);
  const metadata = { manifest_version: manifest.version, architecture: manifest.architecture.name, tasks: manifest.tasks.map((t) => t.name).join(',') };
  const write = (file: string, o: ExportOptions): { rec: OnnxFileRecord; bytes: Uint8Array } => {
    const bytes = exportOnnx(graph, layout, { ...o, metadata });
    writeAtomic(join(dir, file), bytes);
    return { rec: { path: file, sha256: sha256(bytes), bytes: bytes.length, opset: OPSET, quantization: quantizationLabel(o) }, bytes };
  };
  const onnx = write(ONNX_FILE, { quantization: 'fp32' }).rec;
  const int8 = write(INT8_FILE, { quantization: 'int8', scheme: opts.scheme ?? DEFAULT_INT8_SCHEME, weights: opts.weights });
  const servingBytes = await optimizeForServing(int8.bytes);
  writeAtomic(join(dir, SERVING_FILE), servingBytes);
  const serving = await servingRecord(int8.rec, servingBytes);
  // Re-read the raw JSON so fields this code does not know about survive untouched.
  const raw = readManifestJson(dir);
  const files = (typeof raw.files === 'object' && raw.files !== null ? raw.files : {}) as Record<string, unknown>;
  raw.files = { ...files, onnx, int8: int8.rec, serving };
  writeAtomic(join(dir, 'manifest.json'), JSON.stringify(raw, null, 2) + '\n');
  return { onnx, int8: int8.rec, serving };
}
