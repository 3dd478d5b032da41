// The bundled model's description, parsed from its manifest: layout, tasks by candidate kind,
// the ONNX file record. Pure (no onnxruntime), so validation and schemas can use it anywhere.

import { layoutOf, type FeatureLayout } from '../model/features/layout.ts';
import { kindsOf, type KindSpec } from '../model/features/kinds.ts';
import type { CandidateKind, TaskSpec } from '../model/features/spec.ts';
import { checkManifest, servedFile, type Manifest, type ServedFile } from '../model/manifest.ts';
import type { ModelBundle } from './bundle.ts';
export interface ModelInfo {
  manifest: Manifest;
  layout: FeatureLayout;
  quantization: 'int8' | 'fp32';
  /** The quantization scheme from the manifest's file record (e.g. int8-dynamic), if recorded. */
  scheme: string | null;
  /** The bundled file's record (model/manifest.ts servedFile: files.serving, files.int8 or files.onnx). */
  served: ServedFile | null;
  tasks: readonly TaskSpec[];
  /** The candidate kinds (declared, or item + coupon for older models), in request-field order. */
  kinds: readonly KindSpec[];
  /** Tasks of each kind (every kind has an entry, possibly empty). */
  tasksOf: Record<CandidateKind, readonly TaskSpec[]>;
  source: string;
}

export function readManifest(bundle: ModelBundle): ModelInfo {
  let raw = bundle.manifest;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      throw new Error(`manifest.json is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else if (raw instanceof ArrayBuffer) {
    raw = JSON.parse(new TextDecoder().decode(raw));
  }
  const manifest = checkManifest(raw);
  const layout = layoutOf(manifest.features);
  const names = new Set(manifest.features.map((f) => f.name));
  for (const t of manifest.tasks) {
    if (typeof t.name !== 'string' || !t.name) throw new Error('invalid manifest: a task has no name');
    if (names.has(t.name)) throw new Error(`invalid manifest: task "${t.name}" has the name of a feature`);
    if (t.name === 'id' || t.name === 'score') throw new Error(`invalid manifest: a task may not be called "${t.name}" (a response field)`);
  }
  const kinds = kindsOf(manifest);
  for (const k of kinds) {
    for (const v of k.value ?? []) {
      if (!manifest.tasks.some((t) => t.name === v.task && t.appliesTo === k.name)) throw new Error(`invalid manifest: kind "${k.name}" ranks by task "${v.task}", which is not one of its tasks`);
    }
  }
  const served = servedFile(manifest.files, bundle.quantization);
  return {
    manifest,
    layout,
    quantization: bundle.quantization,
    scheme: served?.record.quantization ?? null,
    served,
    tasks: manifest.tasks,
    kinds,
    tasksOf: Object.fromEntries(kinds.map((k) => [k.name, manifest.tasks.filter((t) => t.appliesTo === k.name)])),
    source: bundle.source,
  };
}

