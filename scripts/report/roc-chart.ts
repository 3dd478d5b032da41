// ROC curve of one task on the test split: one line per model (one model in a run's report,
// every architecture in a comparison), the chance diagonal for reference.

import type { TaskCurves } from '../../model/train/curves-file.ts';
import { fmt, frame, valueAxis, type ChartOption } from './svg-chart.ts';

export interface ModelCurves {
  name: string;
  curves: TaskCurves;
  auc?: number | null;
}

export function rocChart(task: string, models: ModelCurves[]): ChartOption {
  const c = models[0]?.curves;
  const sub = c ? `test: ${c.n.toLocaleString('en-US')} labelled rows, ${c.positives.toLocaleString('en-US')} positives` : '';
  return {
    ...frame(`ROC: ${task}`, sub),
    xAxis: valueAxis('false positive rate', { min: 0, max: 1, nameGap: 26 }),
    yAxis: valueAxis('true positive rate', { min: 0, max: 1 }),
    series: [
      ...models.map((m) => ({
        type: 'line' as const,
        name: m.auc === undefined || m.auc === null ? m.name : `${m.name} (AUC ${fmt(m.auc, 3)})`,
        data: m.curves.roc.map((p) => [p.fpr, p.tpr]),
        showSymbol: false,
        lineStyle: { width: 2 },
      })),
      { type: 'line' as const, name: 'chance', data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: 'dotted' as const, color: '#999', width: 1 }, itemStyle: { color: '#999' } },
    ],
  };
}
