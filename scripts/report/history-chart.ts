// Training curves: the training loss and the per-task validation AUC at every validation pass,
// with the kept checkpoint (the best mean validation AUC) marked; and, for a comparison, the
// mean validation AUC of every architecture.

import type { HistoryPoint } from './load.ts';
import { fmt, frame, valueAxis, type ChartOption } from './svg-chart.ts';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The kept checkpoint: a dashed vertical line (no label: the legend names it). */
function keptLine(best: number | null) {
  if (best === null) return undefined;
  return { silent: true, symbol: 'none', label: { show: false }, lineStyle: { color: '#222', type: 'dashed' as const, width: 1.2 }, data: [{ xAxis: best }] };
}

/** A diamond on each of the given series at the kept checkpoint, as one legend entry. */
function keptPoints(best: number | null, values: (number | undefined)[]) {
  if (best === null) return [];
  return [{ type: 'scatter' as const, name: `kept checkpoint (epoch ${fmt(best, 2)})`, data: values.filter((v) => v !== undefined).map((v) => [best, v]), symbol: 'diamond', symbolSize: 13, itemStyle: { color: '#222' }, z: 5 }];
}

const at = (h: HistoryPoint[], best: number | null) => h.find((p) => best !== null && Math.abs(p.epoch - best) < 1e-9);

const epochAxis = (h: HistoryPoint[]) => valueAxis('epoch', { min: 0, max: Math.max(...h.map((p) => p.epoch)), nameGap: 26 });

export function lossChart(h: HistoryPoint[], best: number | null, subtitle: string): ChartOption {
  return {
    ...frame('Training loss', subtitle),
    xAxis: epochAxis(h),
    yAxis: valueAxis('mean training loss since last validation', { scale: true, nameGap: 44 }),
    series: [
      {
        type: 'line',
        name: 'training loss (sum over tasks)',
        data: h.map((p) => [p.epoch, p.trainLoss]),
        symbolSize: 6,
        markLine: keptLine(best),
      },
      ...keptPoints(best, [at(h, best)?.trainLoss]),
    ],
  };
}

export function validAucChart(h: HistoryPoint[], tasks: string[], best: number | null, subtitle: string): ChartOption {
  return {
    ...frame('Validation AUC per task', subtitle),
    xAxis: epochAxis(h),
    yAxis: valueAxis('validation AUC', { scale: true, nameGap: 44 }),
    series: [
      ...tasks.map((t, i) => ({ type: 'line' as const, name: t, data: h.map((p) => [p.epoch, p.validAuc[i]]), symbolSize: 5, ...(i === 0 ? { markLine: keptLine(best) } : {}) })),
      { type: 'line' as const, name: 'mean (early stopping)', data: h.map((p) => [p.epoch, mean(p.validAuc)]), lineStyle: { type: 'dashed' as const, width: 2.5, color: '#222' }, itemStyle: { color: '#222' }, symbolSize: 5 },
      ...keptPoints(best, [at(h, best) && mean(at(h, best)!.validAuc)]),
    ],
  };
}

/** Mean validation AUC over tasks per architecture; a diamond marks each one's kept checkpoint. */
export function compareHistoryChart(runs: { name: string; history: HistoryPoint[]; best: number | null }[], subtitle: string): ChartOption {
  const all = runs.flatMap((r) => r.history);
  const kept = runs.flatMap((r) => {
    const p = at(r.history, r.best);
    return p ? [{ name: r.name, value: [p.epoch, mean(p.validAuc)] }] : [];
  });
  return {
    ...frame('Mean validation AUC per architecture', subtitle),
    xAxis: epochAxis(all),
    yAxis: valueAxis('mean validation AUC over tasks', { scale: true, nameGap: 44 }),
    series: [
      ...runs.map((r) => ({ type: 'line' as const, name: r.name, data: r.history.map((p) => [p.epoch, mean(p.validAuc)]), symbolSize: 5 })),
      { type: 'scatter' as const, name: 'kept checkpoint', data: kept, symbol: 'diamond', symbolSize: 13, itemStyle: { color: '#222' }, z: 5 },
    ],
  };
}
