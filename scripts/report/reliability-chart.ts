// Reliability diagram of one task on the test split: observed positive rate against the mean
// predicted probability in equal-count bins (model/metrics/curves.ts), the diagonal being
// perfect calibration. Axes span the range the model predicts, not [0, 1]: with a 1% task
// the whole story sits below 0.05.

import type { ModelCurves } from './roc-chart.ts';
import { fmt, frame, valueAxis, type ChartOption } from './svg-chart.ts';

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return Math.min(1, m * p);
  return 1;
}

export function reliabilityChart(task: string, models: ModelCurves[], ece?: (name: string) => number | null | undefined): ChartOption {
  const bins = models.flatMap((m) => m.curves.reliability);
  const top = niceMax(Math.max(...bins.map((b) => Math.max(b.meanPred, b.observed))) * 1.05);
  const first = models[0]?.curves.reliability ?? [];
  const counts = first.map((b) => b.count);
  const sub = first.length ? `${first.length} equal-count bins of ${Math.min(...counts).toLocaleString('en-US')}–${Math.max(...counts).toLocaleString('en-US')} test rows each` : '';
  return {
    ...frame(`Calibration: ${task}`, sub),
    xAxis: valueAxis('mean predicted probability (bin)', { min: 0, max: top, nameGap: 26 }),
    yAxis: valueAxis('observed positive rate (bin)', { min: 0, max: top, nameGap: 44 }),
    series: [
      ...models.map((m) => {
        const e = ece?.(m.name);
        return {
          type: 'line' as const,
          name: typeof e === 'number' ? `${m.name} (ECE ${fmt(e, 3)})` : m.name,
          data: m.curves.reliability.map((b) => ({ value: [b.meanPred, b.observed], count: b.count })),
          symbolSize: 7,
          lineStyle: { width: 1.5 },
        };
      }),
      { type: 'line' as const, name: 'perfectly calibrated', data: [[0, 0], [top, top]], showSymbol: false, lineStyle: { type: 'dotted' as const, color: '#999', width: 1 }, itemStyle: { color: '#999' } },
    ],
  };
}
