// DIR/report.html for a model directory or a comparison directory (see load.ts):
// writeReport(DIR) is what `npm run train` calls after training and `npm run report -- DIR`
// calls on an existing directory.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareHistoryChart, lossChart, validAucChart } from './history-chart.ts';
import { bestEpoch, history, loadReportInput, taskMetrics, type ComparisonFile, type RunData } from './load.ts';
import { page, type Figure, type Section } from './page.ts';
import { reliabilityChart } from './reliability-chart.ts';
import { rocChart, type ModelCurves } from './roc-chart.ts';
import { comparisonChart, vsSingleChart } from './comparison-chart.ts';
import { renderSvg, fmt, type ChartOption } from './svg-chart.ts';
import { comparisonTable, dataTable, esc, metricsTable, settingsTable } from './tables.ts';

export const REPORT_FILE = 'report.html';

const fig = (id: string, option: ChartOption): Figure => ({ id, svg: renderSvg(option) });

function dataName(run: RunData): string {
  const d = run.manifest.data as { source?: string; name?: string };
  return String(d.source ?? d.name ?? 'data');
}

/** ROC and calibration figures per task, one line per model that has curves.json. */
function curveSections(tasks: string[], models: { name: string; run: RunData }[]): Section[] {
  const withCurves = models.filter((m) => m.run.curves);
  if (!withCurves.length) {
    return [{ title: 'ROC and calibration (test)', html: '<p class="note">No curves.json in this directory (trained before test curves were recorded): retrain to get ROC curves and reliability diagrams.</p>' }];
  }
  const per = (t: string): ModelCurves[] =>
    withCurves.flatMap((m) => {
      const c = m.run.curves!.tasks[t];
      return c ? [{ name: m.name, curves: c, auc: taskMetrics(m.run, t)?.test?.auc }] : [];
    });
  const ece = (t: string) => (name: string) => taskMetrics(withCurves.find((m) => m.name === name)!.run, t)?.test?.ece;
  return [
    { title: 'ROC curves (test)', figures: tasks.filter((t) => per(t).length).map((t) => fig(`roc-${t}`, rocChart(t, per(t)))) },
    {
      title: 'Calibration (test)',
      intro: 'Observed positive rate against the mean predicted probability, in bins holding equal numbers of test rows; points on the diagonal are calibrated.',
      figures: tasks.filter((t) => per(t).length).map((t) => fig(`calibration-${t}`, reliabilityChart(t, per(t), ece(t)))),
    },
  ];
}

export function runReport(run: RunData): string {
  const tasks = run.manifest.tasks.map((t) => t.name);
  const h = history(run);
  const best = bestEpoch(run);
  const rows = (run.manifest.training as { rows?: Record<string, number> }).rows;
  const sub = rows ? `${rows.train?.toLocaleString('en-US')} training rows; validated ${h.length} times` : '';
  const sections: Section[] = [
    { title: 'Data', html: dataTable(run) },
    { title: 'Model and settings', html: settingsTable(run) },
    {
      title: 'Training',
      intro: `Each point is one validation pass; the weights of the best mean validation AUC are kept${best === null ? '' : ` (epoch ${fmt(best, 3)})`}.`,
      figures: h.length ? [fig('loss', lossChart(h, best, sub)), fig('valid-auc', validAucChart(h, tasks, best, sub))] : [],
      html: h.length ? '' : '<p class="note">No training history in the manifest.</p>',
    },
    ...curveSections(tasks, [{ name: run.manifest.architecture.name, run }]),
    { title: 'Test metrics per task', html: metricsTable(run) },
  ];
  return page(`Training report: ${run.manifest.architecture.name} on ${dataName(run)}`, `${run.dir} · model ${run.manifest.version} · ${run.manifest.createdAt}`, sections);
}

export function comparisonReport(dir: string, c: ComparisonFile, runs: { arch: string; run: RunData | null }[]): string {
  const present = runs.filter((r): r is { arch: string; run: RunData } => r.run !== null);
  const first = present[0]?.run;
  const vs = vsSingleChart(c);
  const links = present.map((r) => `<a href="${esc(r.arch)}/report.html">${esc(r.arch)}</a>`).join(' · ');
  const sections: Section[] = [
    ...(first ? [{ title: 'Data', html: dataTable(first) }] : []),
    {
      title: 'Architectures compared',
      intro: 'Every architecture trained on the same split with the same settings; the Bayes ceiling is the AUC of the true probabilities (simulated data only).',
      figures: [fig('comparison', comparisonChart(c)), ...(vs ? [fig('vs-single', vs)] : [])],
      html: comparisonTable(c) + (links ? `<p class="note">Each architecture's own report: ${links}</p>` : ''),
    },
    {
      title: 'Training',
      figures: present.length ? [fig('valid-auc', compareHistoryChart(present.map((r) => ({ name: r.arch, history: history(r.run), best: bestEpoch(r.run) })), 'every validation pass'))] : [],
    },
    ...curveSections(c.tasks, present.map((r) => ({ name: r.arch, run: r.run }))),
    ...(first ? [{ title: 'Training settings (shared)', html: settingsTable(first, true) }] : []),
  ];
  return page(`Architecture comparison on ${first ? dataName(first) : 'data'}`, `${dir} · ${c.rows.length} architectures`, sections);
}

/**
 * Writes DIR/report.html and returns its path. For a comparison it also writes the report of
 * each architecture's directory that has none yet (the comparison links to them).
 */
export function writeReport(dir: string): string {
  const input = loadReportInput(dir);
  if (input.kind === 'comparison') {
    for (const r of input.runs) if (r.run && !existsSync(join(r.run.dir, REPORT_FILE))) writeFileSync(join(r.run.dir, REPORT_FILE), runReport(r.run));
  }
  const html = input.kind === 'run' ? runReport(input.run) : comparisonReport(dir, input.comparison, input.runs);
  const path = join(dir, REPORT_FILE);
  writeFileSync(path, html);
  return path;
}
