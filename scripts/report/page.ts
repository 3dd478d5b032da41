// The report page: one self-contained HTML file (inline styles, charts as inline SVG, no
// script, no font or image to fetch), so it opens offline and can be mailed or archived.

import { esc } from './tables.ts';

export interface Figure {
  /** Stable identifier (data-chart), e.g. roc-click. */
  id: string;
  svg: string;
}

export interface Section {
  title: string;
  intro?: string;
  /** Pre-rendered HTML (tables, notes). */
  html?: string;
  figures?: Figure[];
}

const STYLE = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;font-size:13px;margin:0 0 12px}.note{color:#555;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
figure.chart{margin:0;background:#fff;border:1px solid #e2e4e8;border-radius:4px;padding:4px}
figure.chart svg{display:block;width:100%;height:auto}
table{border-collapse:collapse;background:#fff;font-size:12.5px;margin:6px 12px 6px 0}
th,td{border:1px solid #e2e4e8;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#eef0f3}tbody th{text-align:left;font-weight:600}
table.kv td{text-align:left;max-width:760px;overflow-wrap:anywhere}table.kv thead{display:none}
.row{display:flex;flex-wrap:wrap;align-items:flex-start}details{font-size:13px;margin:6px 0}
a{color:#2a55c4}`;

export function page(title: string, subtitle: string, sections: Section[]): string {
  const body = sections
    .map((s) => {
      const figs = s.figures?.length ? `<div class="grid">${s.figures.map((f) => `<figure class="chart" data-chart="${esc(f.id)}">${f.svg}</figure>`).join('\n')}</div>` : '';
      return `<section><h2>${esc(s.title)}</h2>${s.intro ? `<p class="note">${esc(s.intro)}</p>` : ''}${s.html ?? ''}${figs}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${esc(title)}</h1><p class="sub">${esc(subtitle)}</p>
${body}
</main></body></html>
`;
}
