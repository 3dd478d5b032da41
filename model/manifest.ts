// The manifest: everything the exporter and the worker need to know about a trained model,
// as JSON next to the weights. The worker is driven by it (feature names, tasks, defaults),
// so a model trained on other data serves unchanged. No node: imports (workerd reads it).

import type { ArchConfig } from './arch/builder.ts';
import { kindsOf, kindsProblem, type KindSpec } from './features/kinds.ts';
import type { FeatureSpec, TaskSpec } from './features/spec.ts';

export const MANIFEST_FORMAT = 'edge-mtl-manifest/1';

export interface FileRecord {
  path: string;
  sha256: string;
  bytes: number;
}

export interface OnnxFileRecord extends FileRecord {
  opset: number;
  /** 'fp32', or the int8 scheme, e.g. 'int8-dynamic' (DynamicQuantizeLinear + MatMulInteger). */
  quantization: string;
}

/**
 * The int8 model as onnxruntime optimised it at export (model/onnx/optimize.ts): what an int8
 * bundle serves, with no graph optimisation left for the worker's session to do.
 */
export interface ServingFileRecord extends OnnxFileRecord {
  /** The file it was optimised from (files.int8.path) and that file's sha256. */
  from: { path: string; sha256: string };
  /** e.g. "onnxruntime-node 1.30.0, level extended". */
  optimizer: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** Content hash of features, tasks, architecture and weights: changes whenever any of them does. */
  version: string;
  createdAt: string;
  data: Record<string, unknown>;
  /** In model input order; numeric features carry the statistics fitted on the training split. */
  features: FeatureSpec[];
  tasks: TaskSpec[];
  /** The candidate kinds and their request fields; absent in models from before kinds (item + coupon: kindsOf). */
  kinds?: KindSpec[];
  architecture: { name: string; config: ArchConfig };
  training: Record<string, unknown>;
  files: { weights: FileRecord; onnx?: OnnxFileRecord; int8?: OnnxFileRecord; serving?: ServingFileRecord };
  /** The model this one was warm-started from (`npm run train -- --init-from DIR`). */
  parent?: { version: string; dir: string; testAuc: Record<string, number> };
  /** Test metrics per task (the same numbers as metrics.json), for GET /v1/model. */
  metrics: Record<string, Record<string, number | null>>;
}

/** Validates the shape of a parsed manifest; throws with the first problem found. */
export function checkManifest(m: unknown): Manifest {
  const fail = (why: string): never => {
    throw new Error(`invalid manifest: ${why}`);
  };
  if (typeof m !== 'object' || m === null) fail('not an object');
  const x = m as Partial<Manifest>;
  if (x.format !== MANIFEST_FORMAT) fail(`format is ${String(x.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof x.version !== 'string' || !x.version) fail('version missing');
  if (!Array.isArray(x.features) || !x.features.length) fail('features missing');
  if (!Array.isArray(x.tasks) || !x.tasks.length) fail('tasks missing');
  if (x.kinds !== undefined) {
    const why = kindsProblem(x.kinds);
    if (why) fail(why);
  }
  const kinds = kindsOf(x).map((k) => k.name);
  for (const t of x.tasks!) if (!kinds.includes(t.appliesTo)) fail(`task ${t.name}: appliesTo must be one of the kinds (${kinds.join(', ')}), got ${JSON.stringify(t.appliesTo)}`);
  if (!x.architecture || typeof x.architecture.name !== 'string') fail('architecture missing');
  return x as Manifest;
}

/**
 * The file a bundle serves (see servedFile): `serving` is onnxruntime's optimised graph, whose
 * session runs no optimiser.
 */
export type ServedFile = { key: 'serving'; record: ServingFileRecord } | { key: 'int8' | 'onnx'; record: OnnxFileRecord };

/**
 * The file a bundle of this quantization serves: for int8 the serving graph when the export
 * wrote one (files.serving), else files.int8 (models exported before it); for fp32 files.onnx.
 * Null when the manifest records none. A serving graph optimised from another int8 file than
 * files.int8 is an error: the int8 model was replaced after the export.
 */
export function servedFile(files: Partial<Manifest['files']> | undefined, quantization: 'int8' | 'fp32'): ServedFile | null {
  if (quantization === 'fp32') return files?.onnx ? { key: 'onnx', record: files.onnx } : null;
  const serving = files?.serving;
  if (serving) {
    const int8 = files?.int8;
    if (!int8 || serving.from?.path !== int8.path || serving.from?.sha256 !== int8.sha256) {
      throw new Error(`invalid manifest: files.serving (${serving.path}) was optimised from ${serving.from?.path ?? '?'} sha256 ${serving.from?.sha256 ?? '?'}, not from files.int8 (${int8 ? `${int8.path} sha256 ${int8.sha256}` : 'none'}): re-export the model`);
    }
    return { key: 'serving', record: serving };
  }
  return files?.int8 ? { key: 'int8', record: files.int8 } : null;
}
