// npm start
// 1. If artifacts/default/manifest.json or model.int8.onnx is missing, trains the default
//    model: npm run train -- --data synthetic --arch mmoe --out artifacts/default (the
//    trainer exports the ONNX files at the end).
// 2. Runs the worker with `wrangler dev` on 127.0.0.1:8787 (PORT overrides the port).
// 3. Waits until GET /healthz is 200 (the model is loaded), then prints a sample curl
//    command built from the manifest and its real response, and the playground's URL (the
//    page is on here: PLAYGROUND=1), and keeps serving until ^C.
// `npm start -- --model DIR` serves DIR instead of artifacts/default (a wrangler config staged
// by build-worker.ts, with the local state kept in the project's .wrangler/state).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readWranglerConfig, ROOT, stageModel } from './build-worker.ts';
import { sampleRequest, type ModelDescription } from './start/sample-request.ts';

const MODEL_DIR = join(ROOT, 'artifacts', 'default');
const REQUIRED = ['manifest.json', 'model.int8.onnx'];
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 180_000;

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('close', (code) => ok(code ?? 1));
    child.on('error', () => ok(1));
  });
}

async function ensureModel(): Promise<void> {
  const missing = REQUIRED.filter((f) => !existsSync(join(MODEL_DIR, f)));
  if (!missing.length) return;
  console.log(`artifacts/default is missing ${missing.join(', ')}: training the default model (synthetic data, MMoE)...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await run(npm, ['run', 'train', '--', '--data', 'synthetic', '--arch', 'mmoe', '--out', 'artifacts/default']);
  const still = REQUIRED.filter((f) => !existsSync(join(MODEL_DIR, f)));
  if (code !== 0 || still.length) {
    throw new Error(`training did not produce ${still.join(', ') || 'the model'} (exit code ${code})`);
  }
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('wrangler dev exited before the worker was ready');
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status === 200) return;
      if (res.status === 503 && text.includes('model_unavailable')) throw new Error(`the model does not load: ${text}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('the model does not load')) throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the worker was not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

/** `--model DIR`: wrangler dev on a staged config whose model alias points at DIR (build-worker.ts). */
async function modelArgs(argv: string[]): Promise<{ args: string[]; cleanup: () => void }> {
  if (!argv.length) return { args: [], cleanup: () => undefined };
  if (argv[0] !== '--model' || !argv[1] || argv.length > 2) throw new Error(`usage: npm start [-- --model DIR] (got ${argv.join(' ')})`);
  const dir = resolve(argv[1]);
  const stage = mkdtempSync(join(tmpdir(), 'edge-mtl-start-'));
  const config = stageModel(dir, false, await readWranglerConfig(), stage);
  // The staged config lives elsewhere: keep wrangler's local state (KV, the registry's R2) in the project.
  return { args: ['-c', config, '--persist-to', join(ROOT, '.wrangler', 'state')], cleanup: () => rmSync(stage, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT=${process.env.PORT} is not a port number`);
  const model = await modelArgs(process.argv.slice(2));
  if (!model.args.length) await ensureModel();
  const base = `http://${HOST}:${port}`;
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const child = spawn(process.execPath, [wrangler, 'dev', '--ip', HOST, '--port', String(port), '--var', 'PLAYGROUND:1', '--show-interactive-dev-session=false', ...model.args], {
    cwd: ROOT,
    stdio: 'inherit',
    // Nothing from the internet at run time: no metrics, no download of the Request.cf object.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  const stop = (sig: NodeJS.Signals) => {
    child.kill(sig);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The staged config (--model) goes once wrangler has stopped: it rebuilds from it until then.
  const exit = new Promise<number>((ok) => child.on('exit', (code) => ok(code ?? 0))).finally(model.cleanup);

  try {
    await waitReady(base, child);
  } catch (e) {
    child.kill('SIGTERM');
    await exit;
    throw e;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.API_KEY) headers.authorization = `Bearer ${process.env.API_KEY}`;
  const description = await fetch(`${base}/v1/model`, { headers });
  if (description.status !== 200) {
    console.log(`\nThe worker is serving on ${base}, but GET /v1/model says HTTP ${description.status}: ${await description.text()}`);
    if (description.status === 401) console.log('(API_KEY is set for the worker, e.g. in .dev.vars; export API_KEY=... before npm start to send it)');
    process.exitCode = await exit;
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
  process.exitCode = await exit;
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
