// npm run load -- [--url URL] [--seconds 30] [--concurrency 32] [--candidates 100]
// A bounded load run against a running worker (npm start): `concurrency` clients, each
// sending POST /v1/score with `candidates` candidates (split over the model's kinds: 80%
// items, 20% coupons for the default two; scripts/load/request-body.ts) back to back for
// `seconds`. Prints requests/s, latency p50/p90/p99, status counts, the 200 bodies that break
// the contract (scripts/lib/score-contract.ts, for every kind of the model), and the RSS of
// the workerd processes serving the port, before, during (max, sampled every second) and after.
//
// The default target is http://127.0.0.1:$PORT (PORT default 8787): loopback only; any
// other host must be named explicitly with --url. The request bodies are built from
// GET /v1/model (feature names, entities, kinds; tasks), with a Bearer API_KEY from the
// environment when set. Exit code 1 when any request failed or broke the contract.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEFAULT_KINDS } from '../model/features/kinds.ts';
import { fail, int, main } from './lib/cli.ts';
import { scoreContractViolation } from './lib/score-contract.ts';
import { requestBody, type LoadModelInfo } from './load/request-body.ts';

const exec = promisify(execFile);

interface Args {
  url: URL;
  seconds: number;
  concurrency: number;
  candidates: number;
}

function parseArgs(argv: string[]): Args {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!['--url', '--seconds', '--concurrency', '--candidates'].includes(a)) fail(`unknown argument ${a}; usage: npm run load -- [--url URL] [--seconds 30] [--concurrency 32] [--candidates 100]`);
    if (argv[i + 1] === undefined) fail(`${a} needs a value`);
    flags[a.slice(2)] = argv[++i];
  }
  let url: URL;
  try {
    url = new URL(flags.url ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`);
  } catch {
    return fail(`--url ${flags.url} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`--url must be http(s), got ${url.protocol}`);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (!loopback && flags.url === undefined) fail(`${url.host} is not a loopback address; name it with --url to load it`);
  return {
    url,
    seconds: int('seconds', flags.seconds, 30),
    concurrency: int('concurrency', flags.concurrency, 32),
    candidates: int('candidates', flags.candidates, 100),
  };
}

/** RSS (KiB) of the workerd processes in the process group of the one listening on `port`. */
async function workerdRss(port: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  try {
    const { stdout } = await exec('ps', ['-A', '-o', 'pid=,pgid=,rss=,args=']);
    const rows = stdout
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && /\bworkerd\b/.test(m[4].split(' ')[0]));
    const entry = rows.find((m) => m[4].includes(`:${port} `) || m[4].includes(`:${port}\n`) || m[4].endsWith(`:${port}`));
    for (const m of rows) if (!entry || m[2] === entry[2]) out.set(Number(m[1]), Number(m[3]));
    if (!entry) out.clear();
  } catch {
    // no ps: no RSS figures
  }
  return out;
}

const mib = (kib: number | undefined) => (kib === undefined ? '-' : `${(kib / 1024).toFixed(0)} MiB`);

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const base = args.url.href.replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.API_KEY) headers.authorization = `Bearer ${process.env.API_KEY}`;
  const infoRes = await fetch(`${base}/v1/model`, { headers }).catch((e: unknown) => fail(`cannot reach ${base}: ${e instanceof Error ? e.message : String(e)} (is npm start running?)`));
  if (infoRes.status !== 200) fail(`GET ${base}/v1/model answered ${infoRes.status}: ${(await infoRes.text()).slice(0, 200)}`);
  const info = (await infoRes.json()) as LoadModelInfo;
  if (args.candidates > info.limits.maxCandidates) fail(`--candidates ${args.candidates} is above the worker's MAX_CANDIDATES (${info.limits.maxCandidates})`);
  const bodies = Array.from({ length: 16 }, (_, v) => requestBody(info, args.candidates, v));
  const texts = bodies.map((b) => JSON.stringify(b));

  const port = args.url.port || (args.url.protocol === 'https:' ? '443' : '80');
  const before = await workerdRss(port);
  const peak = new Map(before);
  const sampler = setInterval(() => {
    void workerdRss(port).then((now) => {
      for (const [pid, kib] of now) peak.set(pid, Math.max(peak.get(pid) ?? 0, kib));
    });
  }, 1000);

  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const violations: string[] = [];
  const firstError = new Map<string, string>();
  const deadline = performance.now() + args.seconds * 1000;
  let next = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const v = next++ % bodies.length;
      const t0 = performance.now();
      let status: string;
      try {
        const res = await fetch(`${base}/v1/score`, { method: 'POST', headers, body: texts[v], signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        status = String(res.status);
        if (res.status !== 200 && !firstError.has(status)) firstError.set(status, text.slice(0, 200));
        if (res.status === 200) {
          let why: string | null;
          try {
            why = scoreContractViolation(JSON.parse(text), bodies[v], info.tasks, info.kinds ?? DEFAULT_KINDS);
          } catch {
            why = 'the body is not JSON';
          }
          if (why) violations.push(why);
        }
      } catch (e) {
        status = e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'network error';
      }
      latencies.push(performance.now() - t0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: args.concurrency }, client));
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await workerdRss(port);

  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  const ok = statuses.get('200') ?? 0;
  console.log(`load: ${base}/v1/score, ${args.concurrency} concurrent clients, ${args.candidates} candidates per request, ${args.seconds} s`);
  console.log(`requests  ${n} in ${wall.toFixed(1)} s = ${(n / wall).toFixed(1)} requests/s (${((n * args.candidates) / wall).toFixed(0)} candidates/s)`);
  console.log(`latency   p50 ${percentile(latencies, 0.5).toFixed(1)} ms  p90 ${percentile(latencies, 0.9).toFixed(1)} ms  p99 ${percentile(latencies, 0.99).toFixed(1)} ms  max ${latencies[n - 1]?.toFixed(1) ?? '-'} ms`);
  console.log(`status    ${[...statuses].sort().map(([s, c]) => `${s}: ${c}`).join(', ')}`);
  for (const [s, text] of firstError) console.log(`          first ${s}: ${text}`);
  console.log(`contract  ${violations.length} of ${ok} 200 bodies broke it${violations.length ? ` (first: ${violations[0]})` : ''}`);
  if (!before.size) console.log('workerd RSS: no workerd process found listening on this port (remote worker, or no ps)');
  for (const pid of new Set([...before.keys(), ...after.keys()])) {
    console.log(`workerd pid ${pid} RSS  before ${mib(before.get(pid))}  during (max) ${mib(peak.get(pid))}  after ${mib(after.get(pid))}`);
  }
  if (ok !== n || violations.length) process.exitCode = 1;
}

void main(run);
