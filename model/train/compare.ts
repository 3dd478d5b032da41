// What a training command prints and leaves behind besides the model: the comparison table
// (one row per architecture, one column per task, the Bayes ceiling last) and the export.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpec } from '../features/spec.ts';
import type { PreparedData } from './prepare.ts';
import type { RunResult } from './run.ts';

export interface ArchResult {
  arch: string;
  result: RunResult;
}

/** Export to ONNX (fp32 + int8) and record int8 test metrics, unless told not to. */
export async function afterTraining(r: RunResult, data: PreparedData, o: { export: boolean }): Promise<void> {
  if (!o.export) return;
  const { exportAndEvaluate } = await import('./export-step.ts');
  await exportAndEvaluate(r, data);
}

const f4 = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '  -   ');

export function comparisonTable(outRoot: string, tasks: readonly TaskSpec[], results: ArchResult[], writeJson: boolean): string {
  const names = tasks.map((t) => t.name);
  const w = Math.max(14, ...results.map((r) => r.arch.length + 2));
  // Task columns widen for long task names, so the header never runs two names together.
  const cw = Math.max(10, ...names.map((n) => n.length + 2));
  const head = 'test AUC'.padEnd(w) + names.map((n) => n.padStart(cw)).join('') + '   samples/s';
  const lines = [head, '-'.repeat(head.length)];
  for (const { arch, result } of results) {
    lines.push(arch.padEnd(w) + names.map((n) => f4(result.metrics[n]?.test.auc).padStart(cw)).join('') + Math.round(result.samplesPerSec).toLocaleString('en-US').padStart(12));
  }
  const first = results[0]?.result.metrics;
  if (first && names.some((n) => first[n]?.bayes_auc !== undefined)) {
    lines.push('Bayes ceiling'.padEnd(w) + names.map((n) => f4(first[n]?.bayes_auc).padStart(cw)).join(''));
  }
  // The data source's own non-learned predictor (e.g. popularity), the bar to clear.
  if (first && names.some((n) => first[n]?.baseline_auc !== undefined)) {
    lines.push('data baseline'.padEnd(w) + names.map((n) => f4(first[n]?.baseline_auc).padStart(cw)).join(''));
  }
  if (results.length === 1) {
    const m = results[0].result.metrics;
    const wt = Math.max(w, ...names.map((n) => n.length + 2));
    lines.push('', 'per task (test)'.padEnd(wt) + ['auc', 'gauc', 'logloss', 'accuracy', 'precision', 'recall', 'f1', 'ece', 'bayes_auc'].map((h) => h.padStart(10)).join(''));
    for (const n of names) {
      const t = m[n];
      lines.push(n.padEnd(wt) + [t.test.auc, t.test.gauc, t.test.logloss, t.test.accuracy, t.test.precision, t.test.recall, t.test.f1, t.test.ece, t.bayes_auc].map((x) => f4(x).padStart(10)).join(''));
    }
  } else {
    // Every architecture's classification numbers too (threshold: max F1 on validation).
    const cols = ['auc', 'gauc', 'logloss', 'accuracy', 'precision', 'recall', 'f1'] as const;
    const wt = Math.max(w, ...names.map((n) => n.length + 9));
    for (const n of names) {
      lines.push('', `${n} (test)`.padEnd(wt) + cols.map((h) => h.padStart(10)).join(''));
      for (const { arch, result } of results) {
        const t = result.metrics[n]?.test;
        lines.push(arch.padEnd(wt) + cols.map((c) => f4(t?.[c]).padStart(10)).join(''));
      }
    }
  }
  if (writeJson) {
    const json = {
      tasks: names,
      rows: results.map(({ arch, result }) => ({
        arch,
        samples_per_sec: result.samplesPerSec,
        test: Object.fromEntries(names.map((n) => [n, result.metrics[n]?.test])),
      })),
      bayes_auc: first ? Object.fromEntries(names.map((n) => [n, first[n]?.bayes_auc ?? null])) : {},
      baseline_auc: first ? Object.fromEntries(names.map((n) => [n, first[n]?.baseline_auc ?? null])) : {},
    };
    writeFileSync(join(outRoot, 'comparison.json'), JSON.stringify(json, null, 2) + '\n');
  }
  return lines.join('\n');
}
