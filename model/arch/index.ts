// Architecture registry: the names the CLI and the manifest use.

import type { Kernels } from '../engine/kernels/types.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { TaskSpec } from '../features/spec.ts';
import { NetBuilder, type ArchConfig } from './builder.ts';
import { buildAitm } from './aitm.ts';
import { buildEsmm } from './esmm.ts';
import { buildLogistic } from './logistic.ts';
import { buildMmoe } from './mmoe.ts';
import { buildPle } from './ple.ts';
import { buildSharedBottom } from './shared-bottom.ts';
import { buildSingle } from './single.ts';

export const ARCHITECTURES = {
  single: buildSingle,
  'shared-bottom': buildSharedBottom,
  mmoe: buildMmoe,
  ple: buildPle,
  esmm: buildEsmm,
  aitm: buildAitm,
  lr: buildLogistic,
} as const;

export type ArchName = keyof typeof ARCHITECTURES;

export function isArchName(s: string): s is ArchName {
  return Object.prototype.hasOwnProperty.call(ARCHITECTURES, s);
}

/** Builds the graph of an architecture; parameters are allocated but not initialised. */
export function buildGraph(arch: ArchName, k: Kernels, layout: FeatureLayout, tasks: readonly TaskSpec[], cfg: ArchConfig) {
  const b = new NetBuilder(k, layout, tasks, cfg);
  ARCHITECTURES[arch](b);
  return b.graph;
}
