// Per-architecture bars of test AUC by task (mean +- sd over seeds when the comparison has
// seed statistics, single runs otherwise), with the Bayes ceiling and the data's baseline as
// marks across each task's group; and the gain over the single-task models.
// Bars and error bars are one ECharts custom series per architecture, so an error bar sits
// exactly on its bar (ECharts has no built-in error bar).

import { seedCount, seedStats, type ComparisonFile } from './load.ts';
import { frame, PALETTE, valueAxis, type ChartOption } from './svg-chart.ts';

/** One bar: category (task) index, height, and the sd when known. */
type Bar = [number, number, number | null];

const GROUP = 0.82; // share of a category's band the bars of one group take

// The custom-series callbacks of ECharts are loosely typed; these are the parts used here.
interface Api {
  value(i: number): number;
  coord(v: [number, number]): [number, number];
  size(v: [number, number]): [number, number];
}

function barSeries(name: string, bars: Bar[], slot: number, slots: number, base: number, color: string) {
  return {
    type: 'custom' as const,
    name,
    itemStyle: { color },
    data: bars,
    encode: { x: 0, y: 1 },
    renderItem: (_: unknown, api: Api) => {
      const x = api.value(0);
      const y = api.value(1);
      const sd = api.value(2);
      const band = api.size([1, 0])[0] * GROUP;
      const w = band / slots;
      const [cx0, y0] = api.coord([x, base]);
      const cx = cx0 - band / 2 + w * (slot + 0.5);
      const [, yTop] = api.coord([x, y]);
      const children: unknown[] = [{ type: 'rect', shape: { x: cx - w * 0.42, y: Math.min(y0, yTop), width: w * 0.84, height: Math.abs(y0 - yTop) }, style: { fill: color } }];
      if (Number.isFinite(sd) && sd > 0) {
        const [, lo] = api.coord([x, y - sd]);
        const [, hi] = api.coord([x, y + sd]);
        const cap = Math.max(2, w * 0.2);
        const stroke = { stroke: '#222', lineWidth: 1.2 };
        children.push(
          { type: 'line', shape: { x1: cx, y1: lo, x2: cx, y2: hi }, style: stroke },
          { type: 'line', shape: { x1: cx - cap, y1: lo, x2: cx + cap, y2: lo }, style: stroke },
          { type: 'line', shape: { x1: cx - cap, y1: hi, x2: cx + cap, y2: hi }, style: stroke },
        );
      }
      return { type: 'group', children };
    },
  };
}

/** A horizontal mark across each task's group of bars (Bayes ceiling, data baseline). */
function groupMark(name: string, values: (number | null | undefined)[], color: string, dash: number[]) {
  const data = values.flatMap((v, i) => (typeof v === 'number' ? [[i, v]] : []));
  return {
    type: 'custom' as const,
    name,
    itemStyle: { color },
    data,
    encode: { x: 0, y: 1 },
    z: 10,
    renderItem: (_: unknown, api: Api) => {
      const band = api.size([1, 0])[0] * GROUP;
      const [cx, y] = api.coord([api.value(0), api.value(1)]);
      return { type: 'line', shape: { x1: cx - band / 2 - 4, y1: y, x2: cx + band / 2 + 4, y2: y }, style: { stroke: color, lineWidth: 2.5, lineDash: dash } };
    },
  };
}

/** Axis ends and tick interval on round numbers covering [lo, hi] with at most 8 intervals. */
export function niceRange(lo: number, hi: number): { min: number; max: number; interval: number } {
  const steps = [0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1];
  const interval = steps.find((s) => (hi - lo) / s <= 8) ?? 1;
  // Rounded to 1e-9 so 0.1 + 0.2 style noise never adds a tick.
  const r = (x: number) => Math.round(x * 1e9) / 1e9;
  return { min: r(Math.floor(r(lo / interval)) * interval), max: r(Math.ceil(r(hi / interval)) * interval), interval };
}

function hasSeeds(c: ComparisonFile): boolean {
  return c.rows.some((r) => c.tasks.some((t) => seedStats(r, t) !== null));
}

function seedNote(c: ComparisonFile): string {
  if (!hasSeeds(c)) return 'one training run per architecture (no seed error bars: run with --seeds N)';
  const n = c.rows.map(seedCount).find((x) => x !== null);
  return `mean ± sd over ${n ?? 'several'} seeds`;
}

export function comparisonChart(c: ComparisonFile): ChartOption {
  const bars: Bar[][] = c.rows.map((r) =>
    c.tasks.map((t, i) => {
      const s = seedStats(r, t);
      return s ? [i, s.test_auc_mean, s.test_auc_sd] : [i, r.test[t]?.auc ?? NaN, null];
    }),
  );
  const bayes = c.tasks.map((t) => c.bayes_auc?.[t]);
  const baseline = c.tasks.map((t) => c.baseline_auc?.[t]);
  const marks = [...bayes, ...baseline].filter((v): v is number => typeof v === 'number');
  const ends = bars.flat().flatMap(([, y, sd]) => (Number.isFinite(y) ? [y - (sd ?? 0), y + (sd ?? 0)] : []));
  // Bars start at chance (0.5), or lower when a model is below it (short runs).
  const range = niceRange(Math.min(0.5, ...ends, ...marks), Math.min(1, Math.max(...ends, ...marks) + 0.01));
  const series: unknown[] = c.rows.map((r, a) => barSeries(r.arch, bars[a], a, c.rows.length, range.min, PALETTE[a % PALETTE.length]));
  if (bayes.some((v) => typeof v === 'number')) series.push(groupMark('Bayes ceiling', bayes, '#111', []));
  if (baseline.some((v) => typeof v === 'number')) series.push(groupMark('data baseline', baseline, '#777', [5, 3]));
  return {
    ...frame('Test AUC by architecture', `${seedNote(c)}; bars start at ${range.min}${range.min === 0.5 ? ' (chance)' : ''}`),
    xAxis: { type: 'category', data: c.tasks, name: 'task', nameLocation: 'middle', nameGap: 26, axisTick: { alignWithLabel: true } },
    yAxis: valueAxis('test AUC', { ...range, nameGap: 44 }),
    series: series as ChartOption['series'],
  };
}

/**
 * Test AUC gain of each multi-task architecture over the one-model-per-task `single`, by task:
 * vs_single_mean +- vs_single_sd from the seed statistics when present, else the difference of
 * the two runs' test AUCs. null when the comparison has no `single` row.
 */
export function vsSingleChart(c: ComparisonFile): ChartOption | null {
  const single = c.rows.find((r) => r.arch === 'single');
  if (!single) return null;
  const others = c.rows.filter((r) => r.arch !== 'single' && r.arch !== 'lr');
  if (!others.length) return null;
  const ends: number[] = [0];
  const series = others.map((r, a) => {
    const bars: Bar[] = c.tasks.map((t, i) => {
      const s = seedStats(r, t);
      const bar: Bar = s && typeof s.vs_single_mean === 'number' ? [i, s.vs_single_mean, s.vs_single_sd ?? null] : [i, (r.test[t]?.auc ?? NaN) - (single.test[t]?.auc ?? NaN), null];
      if (Number.isFinite(bar[1])) ends.push(bar[1] - (bar[2] ?? 0), bar[1] + (bar[2] ?? 0));
      return bar;
    });
    const colour = PALETTE[c.rows.indexOf(r) % PALETTE.length];
    return barSeries(r.arch, bars, a, others.length, 0, colour);
  });
  return {
    ...frame('Multi-task gain over one model per task', hasSeeds(c) ? `test AUC minus that of "single", ${seedNote(c)}` : 'test AUC minus that of "single" (one run each)'),
    grid: { left: 72, right: 24, top: 64, bottom: 102 },
    xAxis: { type: 'category', data: c.tasks, name: 'task', nameLocation: 'middle', nameGap: 26, axisTick: { alignWithLabel: true } },
    yAxis: valueAxis('Δ test AUC vs single', { ...niceRange(Math.min(...ends), Math.max(...ends)), nameGap: 52 }),
    series: series as ChartOption['series'],
  };
}
