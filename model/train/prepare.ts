// From a data source to encoded splits: fit numeric statistics on the training split only,
// then encode train / valid / test with the shared feature module.

import type { DataSource, Split } from '../data/source.ts';
import { layoutOf, type FeatureLayout } from '../features/layout.ts';
import type { FeatureSpec, TaskSpec } from '../features/spec.ts';
import { NumericStats } from '../features/stats.ts';
import { encodeExamples, type EncodedSplit } from './dataset.ts';

export interface PreparedData {
  features: FeatureSpec[];
  tasks: TaskSpec[];
  layout: FeatureLayout;
  splits: Record<Split, EncodedSplit>;
}

export function fitFeatures(source: DataSource): FeatureSpec[] {
  const stats = new Map<string, NumericStats>();
  for (const f of source.features) if (f.kind === 'numeric') stats.set(f.name, new NumericStats(f.transform));
  if (stats.size) for (const ex of source.examples('train')) for (const [name, s] of stats) s.add(ex.features[name]);
  return source.features.map((f) => {
    if (f.kind !== 'numeric') return f;
    const { mean, std } = stats.get(f.name)!.result();
    return { ...f, mean, std };
  });
}

export function prepare(source: DataSource): PreparedData {
  const features = fitFeatures(source);
  const layout = layoutOf(features);
  const T = source.tasks.length;
  const groups = new Map<string, number>();
  const splits = {
    train: encodeExamples(layout, T, source.examples('train'), groups),
    valid: encodeExamples(layout, T, source.examples('valid'), groups),
    test: encodeExamples(layout, T, source.examples('test'), groups),
  };
  for (const s of ['train', 'valid', 'test'] as const) {
    if (splits[s].n === 0) throw new Error(`data source ${source.name} yields no ${s} rows`);
  }
  return { features, tasks: source.tasks, layout, splits };
}
