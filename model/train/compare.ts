// What a training command prints and leaves behind besides the model: the comparison table
// (one row per architecture, one column per task, the Bayes ceiling last; over several seeds
// means, standard deviations and paired differences to the single-task baseline) and the export.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpec } from '../features/spec.ts';
import type { PreparedData } from './prepare.ts';
import { writeMetrics, type RunResult } from './train-to-dir.ts';
import { mean, sd } from '../metrics/index.ts';
import { pairedDiff } from './seeds.ts';

export interface ArchResult {
  arch: string;
  /** One run per seed, in seed order (the same seeds for every architecture). */
  runs: RunResult[];
}

/** Export to ONNX (fp32 + int8) and add the int8 test metrics to metrics.json, unless told not to. */
export async function afterTraining(r: RunResult, data: PreparedData, o: { export: boolean }): Promise<void> {
  if (!o.export) return;
  const { exportAndEvaluate } = await import('./export-step.ts');
  const extra = await exportAndEvaluate(r, data);
  writeMetrics(r.dir, r.metrics, r.trainInfo, { ...extra });
}

const f4 = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '  -   ');
const signed = (x: number) => (x >= 0 ? '+' : '-') + Math.abs(x).toFixed(4);

/** Per task: test AUC of every seed, mean, sd, and (multi-task archs) the paired difference to `single`. */
export function seedStats(results: readonly ArchResult[], names: readonly string[]) {
  const single = results.find((r) => r.arch === 'single');
  return results.map(({ arch, runs }) => ({
    arch,
    tasks: Object.fromEntries(
      names.map((n) => {
        const aucs = runs.map((r) => r.metrics[n].test.auc);
        const row: Record<string, unknown> = { test_auc: aucs, test_auc_mean: mean(aucs), test_auc_sd: sd(aucs) };
        if (single && arch !== 'single' && arch !== 'lr') {
          const d = pairedDiff(aucs, single.runs.map((r) => r.metrics[n].test.auc));
          Object.assign(row, { vs_single_mean: d.mean, vs_single_sd: d.sd, vs_single_significant: d.significant });
        }
        return [n, row];
      }),
    ) as Record<string, { test_auc: number[]; test_auc_mean: number; test_auc_sd: number | null; vs_single_mean?: number; vs_single_sd?: number | null; vs_single_significant?: boolean }>,
  }));
}

export function comparisonTable(outRoot: string, tasks: readonly TaskSpec[], results: ArchResult[], writeJson: boolean, seeds: readonly number[]): string {
  const names = tasks.map((t) => t.name);
  const stats = seedStats(results, names);
  const multiSeed = seeds.length > 1;
  const w = Math.max(14, ...results.map((r) => r.arch.length + 2));
  // Task columns widen for long task names, so the header never runs two names together.
  const cw = Math.max(multiSeed ? 17 : 10, ...names.map((n) => n.length + 2));
  const cell = (m: number, s: number | null) => (multiSeed ? `${f4(m)} ± ${s === null ? '-' : s.toFixed(4)}` : f4(m));
  const head = (multiSeed ? `test AUC, ${seeds.length} seeds` : 'test AUC').padEnd(w) + names.map((n) => n.padStart(cw)).join('') + '   samples/s';
  const lines = [head, '-'.repeat(head.length)];
  results.forEach(({ arch, runs }, i) => {
    const sps = mean(runs.map((r) => r.samplesPerSec));
    lines.push(arch.padEnd(w) + names.map((n) => cell(stats[i].tasks[n].test_auc_mean, stats[i].tasks[n].test_auc_sd).padStart(cw)).join('') + Math.round(sps).toLocaleString('en-US').padStart(12));
  });
  const first = results[0]?.runs[0]?.metrics;
  if (first && names.some((n) => first[n]?.bayes_auc !== undefined)) {
    lines.push('Bayes ceiling'.padEnd(w) + names.map((n) => f4(first[n]?.bayes_auc).padStart(cw)).join(''));
  }
  // The data source's own non-learned predictor (e.g. popularity), the bar to clear.
  if (first && names.some((n) => first[n]?.baseline_auc !== undefined)) {
    lines.push('data baseline'.padEnd(w) + names.map((n) => f4(first[n]?.baseline_auc).padStart(cw)).join(''));
  }
  if (multiSeed && stats.some((s) => Object.values(s.tasks).some((t) => t.vs_single_mean !== undefined))) {
    lines.push('', `vs single (paired over seeds: mean ± sd; * = nonzero at 95%, t-test)`.padEnd(w));
    for (const s of stats) {
      if (s.tasks[names[0]].vs_single_mean === undefined) continue;
      lines.push(
        s.arch.padEnd(w) +
          names
            .map((n) => {
              const t = s.tasks[n];
              return `${signed(t.vs_single_mean!)} ± ${t.vs_single_sd === null || t.vs_single_sd === undefined ? '-' : t.vs_single_sd.toFixed(4)}${t.vs_single_significant ? '*' : ' '}`.padStart(cw + 1);
            })
            .join(''),
      );
    }
  }
  if (results.length === 1 && !multiSeed) {
    const m = results[0].runs[0].metrics;
    const wt = Math.max(w, ...names.map((n) => n.length + 2));
    lines.push('', 'per task (test)'.padEnd(wt) + ['auc', 'gauc', 'logloss', 'acc@0.5', 'accuracy', 'precision', 'recall', 'f1', 'ece', 'bayes_auc'].map((h) => h.padStart(10)).join(''));
    for (const n of names) {
      const t = m[n];
      lines.push(n.padEnd(wt) + [t.test.auc, t.test.gauc, t.test.logloss, t.test.accuracy_05, t.test.accuracy, t.test.precision, t.test.recall, t.test.f1, t.test.ece, t.bayes_auc].map((x) => f4(x).padStart(10)).join(''));
    }
  } else if (!multiSeed) {
    // Every architecture's classification numbers too (threshold: max F1 on validation).
    const cols = ['auc', 'gauc', 'logloss', 'accuracy_05', 'accuracy', 'precision', 'recall', 'f1'] as const;
    const wt = Math.max(w, ...names.map((n) => n.length + 9));
    for (const n of names) {
      lines.push('', `${n} (test)`.padEnd(wt) + cols.map((h) => (h === 'accuracy_05' ? 'acc@0.5' : h).padStart(10)).join(''));
      for (const { arch, runs } of results) {
        const t = runs[0].metrics[n]?.test;
        lines.push(arch.padEnd(wt) + cols.map((c) => f4(t?.[c]).padStart(10)).join(''));
      }
    }
  }
  if (writeJson) {
    const json = {
      tasks: names,
      seeds,
      rows: results.map(({ arch, runs }, i) => ({
        arch,
        samples_per_sec: mean(runs.map((r) => r.samplesPerSec)),
        // The first seed's full test report (every metric), and the per-seed AUC statistics.
        test: Object.fromEntries(names.map((n) => [n, runs[0].metrics[n]?.test])),
        tasks: stats[i].tasks,
      })),
      bayes_auc: first ? Object.fromEntries(names.map((n) => [n, first[n]?.bayes_auc ?? null])) : {},
      baseline_auc: first ? Object.fromEntries(names.map((n) => [n, first[n]?.baseline_auc ?? null])) : {},
    };
    writeFileSync(join(outRoot, 'comparison.json'), JSON.stringify(json, null, 2) + '\n');
  }
  return lines.join('\n');
}
