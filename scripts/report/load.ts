// What the training report reads from a directory: a model directory (manifest.json,
// metrics.json and, from training runs that write it, curves.json) or a comparison directory
// (comparison.json from `--arch all`, with one model directory per architecture below it).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../model/manifest.ts';
import { CURVES_FILE, type CurvesFile } from '../../model/train/curves-file.ts';

/** One validation pass of training (manifest.training.history). */
export interface HistoryPoint {
  epoch: number;
  trainLoss: number;
  validAuc: number[];
  seconds?: number;
  rows?: number;
}

/** metrics.json: per task {test, valid, bayes_auc, baseline_auc}, plus train, int8 and files. */
export type MetricsFile = Record<string, unknown> & {
  train?: Record<string, unknown>;
  int8?: Record<string, { auc?: number; logloss?: number; auc_drop?: number }>;
};

export interface TaskMetricsJson {
  test?: Record<string, number | null>;
  valid?: { auc?: number };
  bayes_auc?: number | null;
  baseline_auc?: number | null;
}

export interface RunData {
  dir: string;
  manifest: Manifest;
  metrics: MetricsFile;
  /** null for directories trained before curves.json existed. */
  curves: CurvesFile | null;
}

/** Mean and spread over seeds of one architecture and task (`--seeds N`). */
export interface SeedStats {
  test_auc_mean: number;
  test_auc_sd: number;
  vs_single_mean?: number;
  vs_single_sd?: number;
}

export interface ComparisonRow {
  arch: string;
  samples_per_sec?: number;
  test: Record<string, Record<string, number | null> | undefined>;
  /** Per task: test AUC of every seed, their mean and sd, and the paired difference to single. */
  tasks?: Record<string, Partial<SeedStats> & { test_auc?: number[] }>;
}

export interface ComparisonFile {
  tasks: string[];
  /** The training seeds of every row (`--seeds N`: N of them). */
  seeds?: number[];
  rows: ComparisonRow[];
  bayes_auc?: Record<string, number | null>;
  baseline_auc?: Record<string, number | null>;
}

export type ReportInput =
  | { kind: 'run'; dir: string; run: RunData }
  | { kind: 'comparison'; dir: string; comparison: ComparisonFile; runs: { arch: string; run: RunData | null }[] };

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function loadRun(dir: string): RunData {
  const manifest = readJson<Manifest>(join(dir, 'manifest.json'));
  const metrics = existsSync(join(dir, 'metrics.json')) ? readJson<MetricsFile>(join(dir, 'metrics.json')) : {};
  const curves = existsSync(join(dir, CURVES_FILE)) ? readJson<CurvesFile>(join(dir, CURVES_FILE)) : null;
  return { dir, manifest, metrics, curves };
}

/** A comparison directory when it has comparison.json, else a model directory. */
export function loadReportInput(dir: string): ReportInput {
  if (existsSync(join(dir, 'comparison.json'))) {
    const comparison = readJson<ComparisonFile>(join(dir, 'comparison.json'));
    if (!Array.isArray(comparison.rows) || !Array.isArray(comparison.tasks)) throw new Error(`${join(dir, 'comparison.json')}: expected {tasks: [...], rows: [...]}`);
    // A row's model directory: DIR/<arch> (--arch all), with --seeds its first seed's
    // DIR/<arch>/seed-S, or DIR/seed-S for one architecture over seeds.
    const first = comparison.seeds?.[0];
    const candidates = (arch: string) => [join(dir, arch), ...(first === undefined ? [] : [join(dir, arch, `seed-${first}`), join(dir, `seed-${first}`)])];
    const runs = comparison.rows.map((r) => {
      const found = candidates(r.arch).find((d) => existsSync(join(d, 'manifest.json')));
      return { arch: r.arch, run: found ? loadRun(found) : null };
    });
    return { kind: 'comparison', dir, comparison, runs };
  }
  if (existsSync(join(dir, 'manifest.json'))) return { kind: 'run', dir, run: loadRun(dir) };
  throw new Error(`${dir}: neither manifest.json (a model directory) nor comparison.json (from --arch all)`);
}

/** A task's numbers from metrics.json, or undefined. */
export function taskMetrics(run: RunData, task: string): TaskMetricsJson | undefined {
  return run.metrics[task] as TaskMetricsJson | undefined;
}

export function history(run: RunData): HistoryPoint[] {
  const h = (run.manifest.training as { history?: HistoryPoint[] }).history;
  return Array.isArray(h) ? h : [];
}

export function bestEpoch(run: RunData): number | null {
  const b = (run.manifest.training as { bestEpoch?: number }).bestEpoch;
  return typeof b === 'number' && b >= 0 ? b : null;
}

/**
 * Seed statistics of one architecture and task, when the comparison was run with --seeds N
 * (N > 1): `row.tasks[task]` with numeric test_auc_mean and test_auc_sd (vs_single_mean /
 * vs_single_sd for multi-task architectures). Otherwise null (plain bars).
 */
export function seedStats(row: ComparisonRow, task: string): SeedStats | null {
  const t = row.tasks?.[task];
  if (!t || typeof t.test_auc_mean !== 'number' || typeof t.test_auc_sd !== 'number') return null;
  return t as SeedStats;
}

/** The number of seeds behind a row's statistics. */
export function seedCount(row: ComparisonRow): number | null {
  const t = row.tasks && Object.values(row.tasks)[0];
  return Array.isArray(t?.test_auc) ? t.test_auc.length : null;
}
