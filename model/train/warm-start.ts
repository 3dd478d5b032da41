// Warm start (`npm run train -- --init-from DIR`): continue from a previous model directory.
// The new run reuses the parent's fitted feature specs as they are (normalisation statistics,
// bin edges, vocabularies; hash seeds follow from the names and vocabularies), so a served
// input means what it meant, and every embedding row keeps the value it was learned for. The
// data's declared features, the tasks and the architecture must match the parent's: the first
// difference is a one-line error. With `refitStats` the means and standard deviations are
// refitted on the new training split; bin edges and vocabularies stay (they decide which
// embedding row a value lands in, so refitting them would scramble the parent's rows).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph, type ArchName } from '../arch/index.ts';
import { DEFAULT_ARCH_CONFIG, type ArchConfig } from '../arch/builder.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { loadWeights } from '../engine/weights-file.ts';
import { isDerived } from '../features/match.ts';
import type { FeatureSpec, TaskSpec } from '../features/spec.ts';
import { checkManifest, type Manifest } from '../manifest.ts';
import type { DataSource } from '../data/source.ts';
import { evaluateGraph } from './evaluate.ts';
import { fitFeatures, type PreparedData } from './prepare.ts';

export interface Parent {
  dir: string;
  manifest: Manifest;
  weights: Uint8Array;
}

export function readParent(dir: string): Parent {
  const mPath = join(dir, 'manifest.json');
  if (!existsSync(mPath)) throw new Error(`--init-from ${dir}: no manifest.json there`);
  const manifest = checkManifest(JSON.parse(readFileSync(mPath, 'utf8')));
  const wPath = join(dir, manifest.files?.weights?.path ?? 'weights.bin');
  if (!existsSync(wPath)) throw new Error(`--init-from ${dir}: ${wPath} not found (the weights to start from)`);
  return { dir, manifest, weights: new Uint8Array(readFileSync(wPath)) };
}

/** The spec fields that define the layout (what fitting does not change). */
const LAYOUT_KEYS = ['entity', 'kind', 'buckets', 'maxLen', 'separator', 'vocabulary', 'transform'] as const;

/** The first difference between the data's declared features and the parent's, or null. */
function featureDifference(declared: readonly FeatureSpec[], parent: readonly FeatureSpec[]): string | null {
  const n = Math.max(declared.length, parent.length);
  for (let i = 0; i < n; i++) {
    const d = declared[i] as unknown as Record<string, unknown> | undefined;
    const p = parent[i] as unknown as Record<string, unknown> | undefined;
    if (!d) return `feature ${String(p!.name)} (position ${i + 1}) is in the parent but not in the data`;
    if (!p) return `feature ${String(d.name)} (position ${i + 1}) is in the data but not in the parent`;
    if (d.name !== p.name) return `feature ${i + 1} is ${String(d.name)} in the data, ${String(p.name)} in the parent`;
    for (const k of LAYOUT_KEYS) {
      if (d[k] !== p[k]) return `feature ${String(d.name)}: ${k} is ${JSON.stringify(d[k])} in the data, ${JSON.stringify(p[k])} in the parent`;
    }
  }
  return null;
}

function taskDifference(data: readonly TaskSpec[], parent: readonly TaskSpec[]): string | null {
  const show = (ts: readonly TaskSpec[]) => ts.map((t) => `${t.name}:${t.appliesTo}${t.parent ? `<${t.parent}` : ''}`).join(', ');
  return show(data) === show(parent) ? null : `tasks are [${show(data)}] in the data, [${show(parent)}] in the parent`;
}

/**
 * The parent's architecture settings, a setting its manifest lacks taken at its default: such
 * a parent was written before the setting existed (e.g. aitmCalibration, added with AITM), so
 * it was trained as the default defines it.
 */
function parentConfig(parent: Manifest['architecture']): ArchConfig {
  return { ...DEFAULT_ARCH_CONFIG, ...parent.config };
}

/** Settings of how a network trains, not of its weights' shapes: a warm start may change them. */
const TRAINING_ONLY: readonly (keyof ArchConfig)[] = ['dropout'];

function archDifference(arch: ArchName, cfg: ArchConfig, parent: Manifest['architecture']): string | null {
  if (arch !== parent.name) return `architecture is ${arch}, the parent's is ${parent.name} (pass --arch ${parent.name})`;
  const pc = parentConfig(parent);
  const keys = ([...new Set([...Object.keys(cfg), ...Object.keys(pc)])] as (keyof ArchConfig)[]).filter((k) => !TRAINING_ONLY.includes(k));
  for (const k of keys) {
    if (JSON.stringify(cfg[k]) !== JSON.stringify(pc[k])) return `architecture setting ${k} is ${JSON.stringify(cfg[k])}, the parent's is ${JSON.stringify(pc[k])}`;
  }
  return null;
}

/** Throws a one-line error naming the first difference between this run and the parent. */
export function checkWarmStart(source: DataSource, arch: ArchName, cfg: ArchConfig, parent: Parent): void {
  // The parent's derived match features come from its declared ones (features/match.ts).
  const diff = featureDifference(source.features, parent.manifest.features.filter((f) => !isDerived(f))) ?? taskDifference(source.tasks, parent.manifest.tasks) ?? archDifference(arch, cfg, parent.manifest.architecture);
  if (diff) throw new Error(`--init-from ${parent.dir} does not fit this run: ${diff}`);
}

/** The feature specs of the warm-started run: the parent's, with refitted mean / std if asked. */
export function warmFeatures(source: DataSource, parent: Parent, refitStats: boolean): FeatureSpec[] {
  if (!refitStats) return parent.manifest.features;
  const fresh = new Map(fitFeatures(source, { numericBins: 0, vocabularies: false }).map((f) => [f.name, f]));
  return parent.manifest.features.map((f) => {
    const g = fresh.get(f.name);
    return f.kind === 'numeric' && g?.kind === 'numeric' ? { ...f, mean: g.mean, std: g.std } : f;
  });
}

/** Test AUC per task of the parent's weights on this run's (new) test split. */
export function parentTestAuc(k: Kernels, data: PreparedData, parent: Parent): Record<string, number> {
  const graph = buildGraph(parent.manifest.architecture.name as ArchName, k, data.layout, data.tasks, parentConfig(parent.manifest.architecture));
  loadWeights(parent.weights, graph.params());
  const { metrics } = evaluateGraph(k, graph, data.layout, data.tasks, data.splits.valid, data.splits.test);
  return Object.fromEntries(data.tasks.map((t) => [t.name, metrics[t.name].test.auc]));
}
