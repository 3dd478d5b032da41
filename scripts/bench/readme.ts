// The README's Performance section, generated from the benchmark's JSON:
//
//   node --import tsx scripts/bench/readme.ts [--json bench.json] [--readme README.md]
//   npm run bench -- --json bench.json --readme README.md      (the same, after a run)
//
//   node --import tsx scripts/bench/readme.ts --json quick.json --train-json train.json
//     the training figures from a full `npm run bench -- --only train --json train.json` run
//     (3 alternated rounds against PyTorch), everything else from a quick run.
//
// Replaces the text between `<!-- bench:start -->` and `<!-- bench:end -->` in the README
// (markers kept). When the file or the markers are missing, nothing is written: the section
// is printed to stdout instead, to paste.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { main } from '../lib/cli.ts';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

type J = Record<string, unknown>;

const num = (j: J, k: string): number | undefined => (typeof j[k] === 'number' && Number.isFinite(j[k]) ? (j[k] as number) : undefined);

function ms(x: number | undefined): string {
  if (x === undefined) return '–';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

const ratio = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(1)}×`);
const int = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const mib = (x: number | undefined) => (x === undefined ? '–' : `${(x / 2 ** 20).toFixed(2)} MiB`);

export function machineLine(j: J): string {
  const m = (j.machine ?? {}) as { cpus?: number; model?: string; memGiB?: number; node?: string; load?: number; loadEnd?: number; os?: string };
  const load = m.load === undefined ? '' : `, load average ${m.load.toFixed(2)} at start${m.loadEnd === undefined ? '' : ` / ${m.loadEnd.toFixed(2)} at end`}`;
  return `${m.cpus ?? '?'} × ${m.model ?? '?'}, ${m.memGiB ?? '?'} GiB${m.os ? `, ${m.os}` : ''}, Node ${m.node ?? '?'}${load}`;
}

/**
 * The run `j` with its training figures (every `train.` key) replaced by those of `full`, a
 * run of its own (`--only train`, without --quick: more rounds, larger sets), which the section
 * then names with its date.
 */
export function withTrainingFrom(j: J, full: J): J {
  if (!Object.keys(full).some((k) => k.startsWith('train.reference.'))) throw new Error('the training run has no train.reference figures (was it run with --only train?)');
  const out: J = {};
  for (const [k, v] of Object.entries(j)) if (!k.startsWith('train.') || k === 'train.weighting') out[k] = v;
  for (const [k, v] of Object.entries(full)) if (k.startsWith('train.')) out[k] = v;
  const rounds = (full['train.detail'] as { rounds?: number } | undefined)?.rounds;
  out['train.from'] = { date: full.date, quick: full.quick === true, rounds, machine: full.machine };
  return out;
}

/** The section (without markers) as Markdown. */
export function renderSection(j: J): string {
  const out: string[] = [];
  const when = typeof j.date === 'string' ? j.date.slice(0, 10) : 'unknown date';
  out.push(`Measured with \`npm run bench\`${j.quick ? ' **--quick** (few samples: indicative only)' : ''} on ${when}: ${machineLine(j)}.`);
  out.push('Medians of repeated runs ([min–max] where shown); ratios are within the same run. Timings on a shared machine are noisy.');
  out.push('');
  if (num(j, 'train.reference.samples_per_sec') !== undefined) {
    const from = j['train.from'] as { date?: string; quick?: boolean; rounds?: number; machine?: J } | undefined;
    const source = from
      ? `; from a separate ${from.quick ? '--quick ' : ''}\`npm run bench -- --only train\` run on ${String(from.date ?? '?').slice(0, 10)}${from.rounds ? `, median of ${from.rounds} alternated rounds` : ''}${from.machine ? `, ${machineLine({ machine: from.machine })}` : ''}`
      : '';
    out.push(`**Training** (reference configuration, samples/s${source})`, '');
    if (num(j, 'train.reference.torch_samples_per_sec_1t') !== undefined) {
      const blas = typeof j['train.reference.torch_blas'] === 'string' ? `, ${j['train.reference.torch_blas']}` : '';
      out.push(`| threads | project | PyTorch 1.13 SparseAdam${blas} (same rows, alternated) |`, '|---|---:|---:|');
      out.push(`| 1 | ${int(num(j, 'train.reference.samples_per_sec_1t'))} | ${int(num(j, 'train.reference.torch_samples_per_sec_1t'))} |`);
      out.push(`| 2 | ${int(num(j, 'train.reference.samples_per_sec'))} | ${int(num(j, 'train.reference.torch_samples_per_sec_2t'))} |`, '');
      out.push(`Project / PyTorch paired by round: ${ratio(num(j, 'train.reference.vs_torch_1t'))} per thread; 2 threads vs PyTorch's best CPU figure ${ratio(num(j, 'train.reference.vs_torch_best'))}.`, '');
      if (typeof j['train.reference.torch_blas_warning'] === 'string') out.push(`**Not a fair reference:** ${j['train.reference.torch_blas_warning']}.`, '');
    } else {
      out.push('| threads | samples/s |', '|---|---:|');
      out.push(`| 1 | ${int(num(j, 'train.reference.samples_per_sec_1t'))} |`);
      out.push(`| 2 | ${int(num(j, 'train.reference.samples_per_sec'))} |`, '');
    }
    const extra: string[] = [];
    if (num(j, 'train.synthetic.samples_per_sec') !== undefined) extra.push(`the synthetic shop's default model (as \`npm run train\` builds it), 2 threads: ${int(num(j, 'train.synthetic.samples_per_sec'))} samples/s`);
    const rss = Object.keys(j).filter((k) => k.startsWith('train.streamed.peak_rss_bytes_')).map((k) => [Number(k.slice('train.streamed.peak_rss_bytes_'.length)), num(j, k)] as const).filter(([, v]) => v !== undefined).sort((a, b) => a[0] - b[0]);
    if (rss.length >= 2) extra.push(`peak RSS with the training split streamed from disk: ${rss.map(([n, v]) => `${mib(v)} at ${int(n)} rows`).join(', ')} (${((rss[rss.length - 1][1] as number) / (rss[0][1] as number)).toFixed(2)}×)`);
    if (extra.length) out.push(`Also: ${extra.join('; ')}.`, '');
  }
  const sizes = [1, 100, 1000].filter((n) => num(j, `inference.native.int8.n${n}.p50_ms`) !== undefined || num(j, `inference.workerd.int8.n${n}.p50_ms`) !== undefined);
  if (sizes.length) {
    out.push(
      '**Inference**, one `session.run` (ms per call; × = ratio to native onnxruntime-node, 1 thread, on the same export; the per-row export computes every candidate on its own, as serving the model natively would)',
      '',
    );
    out.push('| rows | quant | native | native, per-row export | web (Node) | web in workerd |', '|---:|---|---:|---:|---:|---:|');
    for (const n of sizes) {
      for (const q of ['int8', 'fp32']) {
        const g = (rt: string) => num(j, `inference.${rt}.${q}.n${n}.p50_ms`);
        if (g('native') === undefined && g('workerd') === undefined) continue;
        const r = (rt: string) => (g(rt) === undefined ? '–' : `${ms(g(rt))} (${ratio(num(j, `inference.${rt}.${q}.n${n}.ratio_to_native`))})`);
        const perRow = g('native_per_row') === undefined ? '–' : `${ms(g('native_per_row'))} (workerd ${ratio(num(j, `inference.workerd.${q}.n${n}.ratio_to_native_per_row`))})`;
        out.push(`| ${int(n)} | ${q} | ${ms(g('native'))} | ${perRow} | ${r('web')} | ${r('workerd')} |`);
      }
    }
    out.push('');
  }
  const reqKeys = [1, 100, 1000].filter((n) => num(j, `request.n${n}.p50_ms`) !== undefined);
  if (reqKeys.length) {
    out.push('**Whole request** through the worker in workerd (Miniflare, loopback), int8 model (ms)', '');
    out.push('| request | p50 | p99 | JSON parse request + stringify response (Node) |', '|---|---:|---:|---:|');
    out.push(`| no-op (\`GET /__bench/noop\`) | ${ms(num(j, 'request.noop.p50_ms'))} | ${ms(num(j, 'request.noop.p99_ms'))} | |`);
    if (num(j, 'request.healthz.p50_ms') !== undefined) out.push(`| \`GET /healthz\` | ${ms(num(j, 'request.healthz.p50_ms'))} | ${ms(num(j, 'request.healthz.p99_ms'))} | |`);
    for (const n of reqKeys) {
      const json = (num(j, `json.n${n}.request_parse_ms`) ?? NaN) + (num(j, `json.n${n}.response_stringify_ms`) ?? NaN);
      out.push(`| \`POST /v1/score\`, ${int(n)} candidate${n === 1 ? '' : 's'} | ${ms(num(j, `request.n${n}.p50_ms`))} | ${ms(num(j, `request.n${n}.p99_ms`))} | ${Number.isFinite(json) ? ms(json) : '–'} |`);
    }
    const iso = [100, 1000].filter((n) => num(j, `isolate.request.n${n}.cpu_ms`) !== undefined);
    if (iso.length) out.push('', `CPU of the whole request inside the isolate (through the app, no transport): ${iso.map((n) => `${ms(num(j, `isolate.request.n${n}.cpu_ms`))} ms at ${int(n)} candidates`).join(', ')}.`);
    out.push('');
  }
  if (num(j, 'cold_start.p50_ms') !== undefined) {
    out.push(
      `**Cold start** (new workerd to the first scored response, median of ${num(j, 'cold_start.runs') ?? '?'}): ${ms(num(j, 'cold_start.p50_ms'))} ms, of which the isolate's first request ${ms(num(j, 'cold_start.first_request_p50_ms'))} ms` +
        (num(j, 'cold_start.session_create_ms') === undefined
          ? '.'
          : ` (creating the session ${ms(num(j, 'cold_start.session_create_ms'))} ms, of which wasm instantiation ${ms(num(j, 'cold_start.wasm_instantiate_ms'))}; warm-up run ${ms(num(j, 'cold_start.warmup_run_ms'))}).`) +
        (num(j, 'cold_start.ready_cpu_ms') === undefined
          ? ''
          : ` workerd's process CPU (every thread): ${ms(num(j, 'cold_start.ready_cpu_ms'))} ms up to ready${j['cold_start.runtime_started_at_startup'] === true ? ' (its own start and the global scope, where onnxruntime starts)' : ''}, ${ms(num(j, 'cold_start.first_request_cpu_ms'))} ms in the first request.`),
      '',
    );
  }
  if (num(j, 'bundle.raw_bytes') !== undefined) {
    out.push(`**Bundle** (\`wrangler deploy --dry-run\`, int8 model): ${mib(num(j, 'bundle.raw_bytes'))} raw, ${mib(num(j, 'bundle.gzip_bytes'))} gzip.`, '');
  }
  out.push(
    'How: inference is the mean of K back-to-back `session.run` calls per batch on the rows of a `/v1/score` request, median over batches; ' +
      'inside workerd the K runs loop in the isolate (bench-only route, `BENCH_ROUTES=1`) and are timed by its clock (1 ms ticks, K sized for >= 50 ms), ' +
      'cross-checked by (wall(K) - wall(0)) / K from Node. Whole requests are Node wall time of `dispatchFetch` to the last body byte, ' +
      'round-robin with the no-op routes. Details: `scripts/bench/*.ts`.',
  );
  return out.join('\n').trimEnd();
}

/** README text with the section between the markers replaced, or null when the markers are missing. */
export function replaceSection(readme: string, section: string): string | null {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END, a + START.length);
  if (a < 0 || b < 0) return null;
  return `${readme.slice(0, a + START.length)}\n${section}\n${readme.slice(b)}`;
}

/** Writes the section into `readmePath` if it has the markers; returns what happened. */
export function updateReadme(json: J, readmePath: string): 'written' | 'printed' {
  const section = renderSection(json);
  const text = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : null;
  const next = text === null ? null : replaceSection(text, section);
  if (next === null) {
    process.stdout.write(`${readmePath}: ${text === null ? 'no such file' : `no ${START} ... ${END} markers`}; the section:\n\n${START}\n${section}\n${END}\n`);
    return 'printed';
  }
  if (next !== text) writeFileSync(readmePath, next);
  return 'written';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(async () => {
    const a = parseArgs({ options: { json: { type: 'string', default: 'bench.json' }, 'train-json': { type: 'string' }, readme: { type: 'string', default: 'README.md' } } }).values;
    const read = (path: string, how: string): J => {
      if (!existsSync(path)) throw new Error(`${path}: no such file; run npm run bench -- ${how}--json ${path} first`);
      return JSON.parse(readFileSync(path, 'utf8')) as J;
    };
    const json = read(a.json!, '');
    const r = updateReadme(a['train-json'] ? withTrainingFrom(json, read(a['train-json'], '--only train ')) : json, a.readme!);
    if (r === 'written') console.log(`${a.readme}: Performance section updated from ${a.json}`);
  });
}
