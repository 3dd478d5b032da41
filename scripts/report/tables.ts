// The report's HTML tables: data and splits, model and settings, per-task test metrics (with
// int8 next to fp32) and the per-architecture comparison.

import { bestEpoch, seedStats, taskMetrics, type ComparisonFile, type RunData } from './load.ts';
import { fmt } from './svg-chart.ts';

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const count = (x: unknown) => (typeof x === 'number' ? x.toLocaleString('en-US') : '–');

function table(head: string[], rows: (string | number)[][], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** Key-value rows of a flat object (nested values as compact JSON). */
function keyValues(obj: Record<string, unknown>, skip: string[] = []): string {
  const rows = Object.entries(obj)
    .filter(([k, v]) => !skip.includes(k) && v !== undefined)
    .map(([k, v]) => [k, typeof v === 'number' ? (Number.isInteger(v) || Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4)))) : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  return table(['', ''], rows, 'kv');
}

export function dataTable(run: RunData): string {
  const rows = (run.manifest.training as { rows?: Record<string, number> }).rows ?? {};
  const split = table(['split', 'rows'], ['train', 'valid', 'test'].map((s) => [s, count(rows[s])]), 'narrow');
  const labelled = table(
    ['task (test)', 'applies to', 'labelled rows', 'positives', 'positive rate'],
    run.manifest.tasks.map((t) => {
      const m = taskMetrics(run, t.name)?.test;
      const n = m?.n ?? null;
      const p = m?.positives ?? null;
      return [t.name, t.appliesTo, count(n), count(p), typeof n === 'number' && typeof p === 'number' && n > 0 ? `${((100 * p) / n).toFixed(2)}%` : '–'];
    }),
  );
  return `<div class="row">${split}${labelled}</div><details><summary>data source</summary>${keyValues(run.manifest.data)}</details>`;
}

/** Model and training settings; `shared` (a comparison) leaves out what differs by architecture. */
export function settingsTable(run: RunData, shared = false): string {
  const t = { ...(run.manifest.training as Record<string, unknown>) };
  const arch = run.manifest.architecture;
  const kept = bestEpoch(run);
  delete t.bestEpoch;
  const feats = run.manifest.features;
  const byKind = ['categorical', 'multi', 'numeric'].map((k) => `${feats.filter((f) => f.kind === k).length} ${k}`).join(', ');
  const model = keyValues({ architecture: arch.name, ...arch.config, features: `${feats.length} (${byKind})`, version: run.manifest.version });
  const perRun = ['samplesPerSec', 'seconds', 'kept checkpoint (epoch)', 'taskWeights'];
  const training = keyValues({ ...t, 'kept checkpoint (epoch)': kept ?? '–' }, ['history', 'rows', ...(shared ? perRun : [])]);
  if (shared) return training;
  return `<div class="row">${model}${training}</div><p class="note">Created ${esc(run.manifest.createdAt)}.</p>`;
}

const METRIC_COLUMNS = ['auc', 'gauc', 'logloss', 'accuracy', 'precision', 'recall', 'f1', 'threshold', 'ece'] as const;

export function metricsTable(run: RunData): string {
  const int8 = run.metrics.int8;
  const head = ['task', ...METRIC_COLUMNS, 'Bayes AUC', 'baseline AUC', 'int8 AUC', 'int8 − fp32'];
  const rows = run.manifest.tasks.map((t) => {
    const m = taskMetrics(run, t.name);
    const q = int8?.[t.name];
    return [
      t.name,
      ...METRIC_COLUMNS.map((c) => fmt(m?.test?.[c])),
      fmt(m?.bayes_auc),
      fmt(m?.baseline_auc),
      fmt(q?.auc),
      typeof q?.auc_drop === 'number' ? (-q.auc_drop).toFixed(5) : '–',
    ];
  });
  const note = int8
    ? 'int8: the quantized ONNX model (model.int8.onnx) scored on the same test rows.'
    : 'No int8 numbers: the model was not exported (--no-export).';
  return `${table(head, rows, 'metrics')}<p class="note">Test split; accuracy, precision, recall and F1 at the threshold that maximises F1 on validation. ECE over 10 equal-width bins. ${note}</p>`;
}

export function comparisonTable(c: ComparisonFile): string {
  const seeds = c.rows.some((r) => c.tasks.some((t) => seedStats(r, t)));
  const cell = (r: ComparisonFile['rows'][number], t: string) => {
    const s = seedStats(r, t);
    if (s) return `${fmt(s.test_auc_mean)} ± ${fmt(s.test_auc_sd)}`;
    return fmt(r.test[t]?.auc);
  };
  const rows: (string | number)[][] = c.rows.map((r) => [r.arch, ...c.tasks.map((t) => cell(r, t)), typeof r.samples_per_sec === 'number' ? Math.round(r.samples_per_sec).toLocaleString('en-US') : '–']);
  if (c.bayes_auc && c.tasks.some((t) => typeof c.bayes_auc?.[t] === 'number')) rows.push(['Bayes ceiling', ...c.tasks.map((t) => fmt(c.bayes_auc?.[t])), '']);
  if (c.baseline_auc && c.tasks.some((t) => typeof c.baseline_auc?.[t] === 'number')) rows.push(['data baseline', ...c.tasks.map((t) => fmt(c.baseline_auc?.[t])), '']);
  return `${table([seeds ? 'test AUC (mean ± sd)' : 'test AUC', ...c.tasks, 'samples/s'], rows, 'metrics')}`;
}
