// Server-side rendering of one ECharts option to an SVG string (no DOM, no browser): the report
// embeds the SVG as is, so the page needs no script and no network when opened.

import * as echarts from 'echarts';

export type ChartOption = echarts.EChartsOption;

export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 390;

/** One colour per series position, kept across charts so a model has the same colour everywhere. */
export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Title block, legend and grid shared by every chart of the report. */
export function frame(title: string, subtitle: string): ChartOption {
  return {
    animation: false,
    color: PALETTE,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT },
    title: { text: title, subtext: subtitle, left: 'center', top: 6, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 11, color: '#555' } },
    // Wide gaps: ECharts measures text without the browser's font, so names may run a little long.
    legend: { bottom: 4, itemWidth: 18, itemHeight: 10, itemGap: 22, textStyle: { fontSize: 11 } },
    grid: { left: 64, right: 24, top: 64, bottom: 102 },
  };
}

/** A value axis with its name centred along it. */
export function valueAxis(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'value', name, nameLocation: 'middle', nameGap: 36, nameTextStyle: { fontSize: 12 }, splitLine: { lineStyle: { color: '#eee' } }, ...extra };
}

export function renderSvg(option: ChartOption, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export const fmt = (x: number | null | undefined, digits = 4): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
