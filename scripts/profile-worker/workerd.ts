// Part "workerd": the real bundle (wrangler deploy --dry-run, not minified so the profile has
// names) in workerd through Miniflare: wall time of GET /__bench/noop, of a POST that only
// reads the same body (/__bench/echo) and of POST /v1/score, interleaved; the stages in a loop
// inside the isolate (/__bench/stages); and a CPU profile of the isolate itself over the
// inspector (Miniflare inspectorPort -> workerd's DevTools protocol), attributed as in Node,
// which gives the worker's CPU per request without the transport.

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../build-worker.ts';
import { int8Manifest, type BenchModel } from '../bench/model.ts';
import { summarize } from '../bench/stats.ts';
import { runFor } from '../bench/timing.ts';
import { attribute, printAttribution, remapBundleUrls, type CpuProfile } from './attribution.ts';
import type { WorkerCode } from './code.ts';
import { f3, log, type ProfileRun } from './context.ts';
import { useWorkerdV8Flags } from '../lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

type ModuleType = 'ESModule' | 'CompiledWasm' | 'Data' | 'Text';
interface Bundle {
  outDir: string;
  modules: { type: ModuleType; path: string }[];
  compatibilityDate: string;
  compatibilityFlags: string[];
}

function runNode(args: string[], cwd: string): Promise<string> {
  return new Promise((ok, bad) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', bad);
    child.on('close', (code) => (code === 0 ? ok(out) : bad(new Error(`wrangler exited with ${code}:\n${out}`))));
  });
}

/**
 * The worker of `codeRoot` around the model, bundled as scripts/build-worker.ts does
 * (wrangler deploy --dry-run, wrangler.toml's settings, the model aliased as edge-mtl-model)
 * but not minified, so that profiles show function names.
 */
async function buildBundle(codeRoot: string, bm: BenchModel, outDir: string): Promise<Bundle> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: Record<string, unknown> & { main?: string; alias?: Record<string, string>; compatibility_date?: string; compatibility_flags?: string[] } };
  };
  const cfg = experimental_readRawConfig({ config: join(codeRoot, 'wrangler.toml') }).rawConfig;
  const stage = mkdtempSync(join(tmpdir(), 'edge-mtl-profile-build-'));
  try {
    // model.int8.onnx for every revision compared (int8Manifest: a baseline knows no serving graph).
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify(int8Manifest(bm.manifest)));
    cpSync(join(bm.dir, 'model.int8.onnx'), join(stage, 'model.int8.onnx'));
    writeFileSync(
      join(stage, 'bundle.ts'),
      `import manifest from './manifest.json';\nimport onnx from './model.int8.onnx';\nexport default { manifest, onnx, quantization: 'int8', source: ${JSON.stringify(bm.dir)} };\n`,
    );
    const config = { ...cfg, minify: false, main: join(codeRoot, cfg.main ?? 'functions/index.ts'), alias: { ...(cfg.alias ?? {}), 'edge-mtl-model': join(stage, 'bundle.ts') } };
    writeFileSync(join(stage, 'wrangler.json'), JSON.stringify(config, null, 2));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    await runNode([join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outDir, '-c', join(stage, 'wrangler.json')], codeRoot);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const { readdirSync } = await import('node:fs');
  const modules: Bundle['modules'] = [];
  for (const f of readdirSync(outDir).sort()) {
    const type: ModuleType | null = f.endsWith('.js') || f.endsWith('.mjs') ? 'ESModule' : f.endsWith('.wasm') ? 'CompiledWasm' : f.endsWith('.onnx') ? 'Data' : f.endsWith('manifest.json') ? 'Text' : null;
    if (type) modules.push({ type, path: join(outDir, f) });
  }
  const entry = modules.findIndex((m) => m.path === join(outDir, 'index.js'));
  if (entry < 0) throw new Error(`wrangler wrote no index.js into ${outDir}`);
  modules.unshift(...modules.splice(entry, 1));
  return { outDir, modules, compatibilityDate: cfg.compatibility_date ?? '2026-04-01', compatibilityFlags: cfg.compatibility_flags ?? [] };
}

/** A minimal DevTools-protocol client over a WebSocket (workerd's inspector). */
async function cdpConnect(url: string) {
  const { default: WebSocket } = (await import('ws' as string)) as { default: new (url: string) => any };
  const ws = new WebSocket(url);
  await new Promise<void>((ok, bad) => {
    ws.once('open', () => ok());
    ws.once('error', bad);
  });
  let next = 1;
  const waiting = new Map<number, { ok: (v: unknown) => void; bad: (e: Error) => void }>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.bad(new Error(msg.error.message));
    else w.ok(msg.result);
  });
  return {
    send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((ok, bad) => waiting.set(id, { ok: ok as (v: unknown) => void, bad }));
    },
    close: () => ws.close(),
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

export async function workerdPart(run: ProfileRun, codes: WorkerCode[]): Promise<void> {
  const { bm, sizes, bodies, env, requests, interval, quick, outDir, lines, summary } = run;
  log('workerd: bundling (wrangler deploy --dry-run, not minified)');
  const bundles: Bundle[] = [];
  for (let i = 0; i < codes.length; i++) bundles.push(await buildBundle(codes[i].root, bm, join(outDir, `dist-${i}`)));
  const { Miniflare } = await import('miniflare');
  const port = await freePort();
  const names = codes.map((_, i) => `w${i}`);
  const mf = new Miniflare({
    ...(process.env.PROFILE_NO_INSPECTOR ? {} : { inspectorPort: port }),
    workers: bundles.map((b, i) => ({
      name: names[i],
      routes: [`${names[i]}.profile/*`],
      modulesRoot: b.outDir,
      modules: b.modules,
      compatibilityDate: b.compatibilityDate,
      compatibilityFlags: b.compatibilityFlags,
      bindings: { ...env, BENCH_ROUTES: '1' },
      kvNamespaces: { USER_FEATURES: 'profile-user-features' },
    })),
  });
  try {
    await mf.ready;
    const call = async (name: string, path: string, body?: string, expect = 200) => {
      const init = body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body };
      const res = (await mf.dispatchFetch(`http://${name}.profile${path}`, init as never)) as unknown as Response;
      const text = await res.text();
      if (res.status !== expect) throw new Error(`${name} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return { res, text };
    };
    const floor = names[names.length - 1];
    for (const name of names) await call(name, '/healthz');
    for (const n of sizes) {
      const texts = await Promise.all(names.map(async (name) => (await call(name, '/v1/score', bodies.get(n)!)).text));
      for (const t of texts.slice(1)) if (t !== texts[0]) throw new Error(`the versions answer differently in workerd at n=${n}`);
    }
    // Wall time, everything interleaved: one of each per round.
    const rounds = quick ? 60 : 300;
    type Kind = { key: string; go: () => Promise<unknown> };
    const kinds: Kind[] = [{ key: 'GET /__bench/noop', go: () => call(floor, '/__bench/noop', undefined, 204) }];
    for (const n of sizes) {
      kinds.push({ key: `POST /__bench/echo n=${n}`, go: () => call(floor, '/__bench/echo', bodies.get(n)!) });
      for (let i = 0; i < names.length; i++) kinds.push({ key: `POST /v1/score n=${n} [${codes[i].label}]`, go: () => call(names[i], '/v1/score', bodies.get(n)!) });
    }
    const wall: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.key, []]));
    // Warm-up: each isolate's wasm runs its baseline code until V8 tiers it up.
    for (const name of names) await runFor(() => call(name, '/v1/score', bodies.get(sizes[0])!), quick ? 2000 : 5000);
    for (let r = 0; r < 10; r++) for (const k of kinds) await k.go();
    // Server-Timing of the score requests: the isolate's clock ticks in whole milliseconds
    // locally, so single values are coarse, but the mean over many requests is not.
    const timing: Record<string, Record<string, number[]>> = {};
    for (let r = 0; r < rounds; r++) {
      for (const k of kinds) {
        const t0 = performance.now();
        const out = (await k.go()) as { res?: Response } | undefined;
        wall[k.key].push(performance.now() - t0);
        const st = out?.res?.headers.get('server-timing');
        if (st) {
          for (const part of st.split(',')) {
            const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
            if (m) ((timing[k.key] ??= {})[m[1]] ??= []).push(Number(m[2]));
          }
        }
      }
    }
    const ws = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, summarize(v)]));
    summary['workerd.wall'] = ws;
    summary['workerd.server_timing_mean'] = Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([n, xs]) => [n, xs.reduce((a, b) => a + b, 0) / xs.length]))]));
    lines.push('', `workerd (Miniflare dispatchFetch, unminified bundle), wall ms over ${rounds} interleaved rounds: p50 [p10-p90]; Server-Timing means (isolate clock, 1 ms ticks)`);
    const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const k of kinds) {
      const st = timing[k.key] ? Object.entries(timing[k.key]).map(([n, xs]) => `${n} ${f3(mean(xs))}`).join(', ') : '';
      lines.push(`  ${k.key.padEnd(52)} ${f3(ws[k.key].median).padStart(7)}  [${f3(q(wall[k.key], 0.1))}-${f3(q(wall[k.key], 0.9))}]`.padEnd(86) + st);
    }
    // Paired by round: score minus the floors, and after/before.
    for (const n of sizes) {
      const echo = wall[`POST /__bench/echo n=${n}`];
      const noop = wall['GET /__bench/noop'];
      const per = codes.map((c) => wall[`POST /v1/score n=${n} [${c.label}]`]);
      const med = (f: (i: number) => number) => summarize(per[0].map((_, i) => f(i))).median;
      const parts = codes.map((c, j) => `${c.label}: -noop ${f3(med((i) => per[j][i] - noop[i]))}, -echo ${f3(med((i) => per[j][i] - echo[i]))}`);
      if (codes.length === 2) parts.push(`after/before ${med((i) => per[1][i] / per[0][i]).toFixed(2)}, after-before ${f3(med((i) => per[1][i] - per[0][i]))} ms`);
      lines.push(`  n=${n}, medians of per-round differences: ${parts.join('; ')}`);
    }
    // Each stage in a loop inside the isolate (POST /__bench/stages), where a version has it.
    const stageReps = quick ? 3 : 7;
    for (const n of sizes) {
      const per: Record<string, Record<string, number[]>> = {};
      for (let r = 0; r < stageReps; r++) {
        for (let i = 0; i < names.length; i++) {
          const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.get(n)! };
          const res = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?ms=${quick ? 40 : 100}`, init as never)) as unknown as Response;
          const text = await res.text();
          if (res.status !== 200) continue;
          const j = JSON.parse(text) as { stages: Record<string, { ms_per_call: number }> };
          const v = (per[codes[i].label] ??= {});
          for (const [k, x] of Object.entries(j.stages)) (v[k] ??= []).push(x.ms_per_call);
        }
      }
      const labels = Object.keys(per);
      if (!labels.length) continue;
      lines.push('', `workerd: stages in a loop inside the isolate (POST /__bench/stages), n=${n}, ms per call, median of ${stageReps}${labels.length > 1 ? ` (${labels.join(' | ')})` : ` (${labels[0]})`}`);
      const stageNames = [...new Set(labels.flatMap((l) => Object.keys(per[l])))];
      for (const st of stageNames) {
        const cells = labels.map((l) => f3(per[l][st] ? summarize(per[l][st]).median : NaN).padStart(8)).join(' ');
        const [b, a2] = labels.map((l) => per[l][st]);
        const ratio = labels.length === 2 && a2 && b ? `   after/before ${summarize(a2.map((x, i) => x / b[i])).median.toFixed(2)}` : '';
        lines.push(`    ${st.padEnd(44)} ${cells}${ratio}`);
      }
      summary[`workerd.n${n}.stages`] = Object.fromEntries(labels.map((l) => [l, Object.fromEntries(Object.entries(per[l]).map(([k, v]) => [k, summarize(v)]))]));
    }
    // CPU profile of each isolate over the inspector, during one long POST
    // /__bench/stages?only=app: the whole request through the app in a loop inside the
    // isolate (no I/O waits: workerd does not mark the isolate idle while it waits, so a
    // profile across separate requests would count the waits too). Per request = samples / calls.
    for (let i = 0; i < names.length && !process.env.PROFILE_NO_INSPECTOR; i++) {
      for (const n of sizes) {
        const cdp = await cdpConnect(`ws://127.0.0.1:${port}/core:user:${names[i]}`);
        const ms = Math.min(10_000, Math.round((quick ? 0.3 : 1) * requests * Math.max(1, n / 100)));
        try {
          const init = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.get(n)! });
          const warm = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?only=app&ms=200`, init() as never)) as unknown as Response;
          if (warm.status !== 200) {
            lines.push(`  (${codes[i].label}: no /__bench/stages route, no isolate profile)`);
            await warm.arrayBuffer();
            continue;
          }
          await warm.arrayBuffer();
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval });
          await cdp.send('Profiler.start');
          const res = (await mf.dispatchFetch(`http://${names[i]}.profile/__bench/stages?only=app&ms=${ms}`, init() as never)) as unknown as Response;
          const j = (await res.json()) as { stages: Record<string, { calls: number; ms_per_call: number }> };
          const { profile } = await cdp.send<{ profile: CpuProfile }>('Profiler.stop');
          await cdp.send('Profiler.disable');
          const calls = j.stages.app.calls;
          const file = join(outDir, `workerd-${codes[i].label.replace(/\W+/g, '_')}-n${n}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          remapBundleUrls(profile, join(bundles[i].outDir, 'index.js'));
          const attr = attribute(profile);
          summary[`workerd.n${n}.profile.${codes[i].label}`] = { ...attr, requests: calls, msPerCallIsolateClock: j.stages.app.ms_per_call };
          lines.push('');
          printAttribution(`workerd isolate CPU profile of the app in a loop, ${codes[i].label}, n=${n} (isolate clock: ${f3(j.stages.app.ms_per_call)} ms per request while profiling)`, attr, calls, lines);
        } finally {
          cdp.close();
        }
      }
    }
  } finally {
    await mf.dispose();
  }
}
