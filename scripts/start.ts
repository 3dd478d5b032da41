// npm start [-- --model DIR]
// 1. If artifacts/default/manifest.json or model.int8.onnx is missing, trains the default
//    model: npm run train -- --data synthetic --arch mmoe --out artifacts/default (the
//    trainer exports the ONNX files at the end); if only the serving graph is missing (a model
//    exported before it), exports again (npm run export). With --model DIR, serves DIR
//    instead (never trains).
// 2. Runs the worker with `wrangler dev` on 127.0.0.1:8787 (PORT overrides the port).
// 3. Waits until GET /healthz is 200 (the model is loaded), then prints a sample curl
//    command built from the served model's GET /v1/model (start/sample-request.ts) and its
//    real response, and the playground's URL (the page is on here: PLAYGROUND=1), and keeps
//    serving until ^C.
// With --model DIR, wrangler dev runs on a config staged by build-worker.ts (its model alias
// points at DIR) and keeps its local state (KV, the registry's R2) in the project's
// .wrangler/state, the state `npm run models -- ... --local` acts on.
//
// Supervision: wrangler dev runs in its own process group (with its workerd processes).
// If wrangler or any workerd process dies, npm start stops the rest of the group and exits
// with code 1 and a one-line reason; on Ctrl-C, SIGTERM or SIGHUP it stops the group
// (SIGTERM, then SIGKILL after 3 s: workerd may ignore SIGTERM) and exits 130 / 143 / 129.
// Either way no process of the group is left behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkManifest, servedFile } from '../model/manifest.ts';
import { SERVING_FILE } from '../model/onnx/export-dir.ts';
import { checkModelFiles, readWranglerConfig, ROOT, stageModel } from './build-worker.ts';
import { ProcessGroup } from './lib/process-group.ts';
import { sampleRequest, type ModelDescription } from './start/sample-request.ts';
import { useWorkerdV8Flags } from './lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

const DEFAULT_MODEL_DIR = join(ROOT, 'artifacts', 'default');
let MODEL_DIR = DEFAULT_MODEL_DIR;
const REQUIRED = ['manifest.json', 'model.int8.onnx'];
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 180_000;

let training: ChildProcess | null = null;

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    training = child;
    child.on('close', (code) => ok(code ?? 1));
    child.on('error', () => ok(1));
  });
}

async function ensureModel(): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const missing = REQUIRED.filter((f) => !existsSync(join(MODEL_DIR, f)));
  if (missing.length) {
    console.log(`artifacts/default is missing ${missing.join(', ')}: training the default model (synthetic data, MMoE)...`);
    const code = await run(npm, ['run', 'train', '--', '--data', 'synthetic', '--arch', 'mmoe', '--out', 'artifacts/default']);
    const still = REQUIRED.filter((f) => !existsSync(join(MODEL_DIR, f)));
    if (code !== 0 || still.length) {
      throw new Error(`training did not produce ${still.join(', ') || 'the model'} (exit code ${code})`);
    }
  }
  // The default bundle (functions/model-bundle/default.ts) imports the serving graph.
  const manifest = checkManifest(JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')));
  if (servedFile(manifest.files, 'int8')?.key === 'serving' && existsSync(join(MODEL_DIR, SERVING_FILE))) return;
  console.log(`artifacts/default has no ${SERVING_FILE} (exported before it): npm run export -- --model artifacts/default`);
  const code = await run(npm, ['run', 'export', '--', '--model', 'artifacts/default']);
  if (code !== 0 || !existsSync(join(MODEL_DIR, SERVING_FILE))) throw new Error(`the export did not produce ${SERVING_FILE} (exit code ${code})`);
}

async function waitReady(base: string, group: ProcessGroup): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void group.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('wrangler dev exited before the worker was ready');
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status === 200) return;
      if (res.status === 503 && /model_unavailable|config_error/.test(text)) throw new Error(`the worker cannot serve: ${text}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('the worker cannot serve')) throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the worker was not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

function freePort(): Promise<number> {
  return new Promise((ok, bad) => {
    const srv = createServer();
    srv.once('error', bad);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 2 && argv[0] === '--model') MODEL_DIR = resolve(argv[1]);
  else if (argv.length) throw new Error(`unknown arguments ${argv.join(' ')}; usage: npm start [-- --model DIR]`);
  let stopping: NodeJS.Signals | null = null;
  let group: ProcessGroup | null = null;
  for (const sig of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    process.on(sig, () => {
      stopping ??= sig;
      // Before wrangler runs (training): stop the trainer and go.
      if (!group) {
        training?.kill('SIGTERM');
        process.exit(SIGNAL_EXIT[sig]);
      }
    });
  }
  if (MODEL_DIR === DEFAULT_MODEL_DIR) await ensureModel();
  const served = await checkModelFiles(MODEL_DIR, false);
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT=${process.env.PORT} is not a port number`);
  const base = `http://${HOST}:${port}`;
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const args = [wrangler, 'dev', '--ip', HOST, '--port', String(port), '--inspector-port', String(await freePort()), '--var', 'PLAYGROUND:1', '--show-interactive-dev-session=false'];
  let stage: string | null = null;
  if (MODEL_DIR !== DEFAULT_MODEL_DIR) {
    stage = mkdtempSync(join(tmpdir(), 'edge-mtl-start-'));
    // The staged config lives elsewhere: keep wrangler's local state (KV, the registry's R2) in the project.
    args.push('-c', stageModel(MODEL_DIR, false, served, await readWranglerConfig(), stage), '--persist-to', join(ROOT, '.wrangler', 'state'));
  }
  const g = (group = new ProcessGroup('wrangler dev', process.execPath, args, {
    cwd: ROOT,
    stdio: 'inherit',
    // Nothing from the internet at run time: no metrics, no download of the Request.cf object.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  }));
  const finish = async (code: number, reason?: string): Promise<never> => {
    await g.stop();
    if (stage) rmSync(stage, { recursive: true, force: true });
    if (reason) process.stderr.write(`error: ${reason}\n`);
    process.exit(code);
  };
  const interrupted = new Promise<NodeJS.Signals>((ok) => {
    const check = setInterval(() => stopping && (clearInterval(check), ok(stopping)), 50);
  });
  void interrupted.then((sig) => finish(SIGNAL_EXIT[sig] ?? 1));

  try {
    await waitReady(base, g);
  } catch (e) {
    if (stopping) return;
    return finish(1, e instanceof Error ? e.message : String(e));
  }
  // From here on, any death in the group ends npm start.
  await g.watch(['workerd'], (reason) => {
    if (!stopping) void finish(1, `${reason}; stopped wrangler dev and its workerd processes`);
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.API_KEY) headers.authorization = `Bearer ${process.env.API_KEY}`;
  const description = await fetch(`${base}/v1/model`, { headers });
  if (description.status !== 200) {
    console.log(`\nThe worker is serving on ${base}, but GET /v1/model says HTTP ${description.status}: ${await description.text()}`);
    if (description.status === 401) console.log('(API_KEY is set for the worker, e.g. in .dev.vars; export API_KEY=... before npm start to send it)');
    return;
  }
  const body = JSON.stringify(sampleRequest((await description.json()) as ModelDescription));
  const res = await fetch(`${base}/v1/score`, { method: 'POST', headers, body });
  const text = await res.text();
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as is
  }
  const auth = process.env.API_KEY ? ` -H "authorization: Bearer $API_KEY"` : '';
  console.log(`\nThe worker is serving on ${base} (model loaded). A sample request:\n`);
  console.log(`curl -s -X POST ${base}/v1/score -H 'content-type: application/json'${auth} -d '${body.replaceAll("'", "'\\''")}'\n`);
  console.log(`HTTP ${res.status}  Server-Timing: ${res.headers.get('server-timing') ?? '-'}  X-User-Features: ${res.headers.get('x-user-features') ?? '-'}`);
  console.log(pretty);
  if (res.status === 401) console.log('(401: API_KEY is set for the worker, e.g. in .dev.vars; export API_KEY=... before npm start to send it)');
  console.log(`\nPlayground (try requests in a browser): ${base}/`);
  console.log(`Also: GET ${base}/v1/model, ${base}/healthz, ${base}/openapi.json. Ctrl-C to stop.`);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
