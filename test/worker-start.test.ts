// npm start supervises wrangler dev for real: spawned as users run it (npm start, here with
// --model and the test model), then a child is killed with SIGKILL (a workerd process, or
// wrangler itself) or npm start gets SIGTERM. npm start must exit within seconds (non-zero
// with a one-line reason when a child died) and leave no process behind.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../scripts/build-worker.ts';
import { testWorker } from './helpers/worker-harness.ts';

let modelDir: string;
const started: ChildProcess[] = [];
/** Every process seen under an npm start, killed at the end whatever happened (no leftovers even when a test fails). */
const seen: Proc[] = [];

before(async () => {
  modelDir = (await testWorker()).model.dir;
});

after(() => {
  for (const c of started) if (c.exitCode === null) process.kill(-c.pid!, 'SIGKILL');
  // Only processes that are still the ones seen (a pid may have been reused since).
  const now = processes();
  for (const p of seen) if (now.some((q) => q.pid === p.pid && q.args === p.args)) process.kill(p.pid, 'SIGKILL');
});

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  args: string;
}

function processes(): Proc[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,comm=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && !m[3].startsWith('Z'))
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), comm: m[4], args: m[5] }));
}

function descendants(root: number): Proc[] {
  const all = processes();
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of all) if (c.ppid === p) (out.push(c), queue.push(c.pid));
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

async function startServing(): Promise<{ child: ChildProcess; tree: Proc[]; exit: Promise<number | null>; stderr: () => string }> {
  const port = await freePort();
  // Own process group, so the test can clean up even if npm start fails to.
  const child = spawn('npm', ['start', '--', '--model', modelDir], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: String(port), CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const deadline = Date.now() + 180_000;
  while (!out.includes('The worker is serving on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const tree = descendants(child.pid!);
  seen.push(...tree);
  assert.ok(tree.filter((p) => p.comm === 'workerd').length >= 1, JSON.stringify(tree));
  return { child, tree, exit, stderr: () => err };
}

async function exitWithin(exit: Promise<number | null>, ms: number): Promise<number | null> {
  return Promise.race([exit, new Promise<never>((_, bad) => setTimeout(() => bad(new Error(`npm start still running after ${ms} ms`)), ms))]);
}

async function assertNoneLeft(tree: Proc[]): Promise<void> {
  let alive: Proc[] = [];
  for (let i = 0; i < 30; i++) {
    const live = new Set(processes().map((p) => p.pid));
    alive = tree.filter((p) => live.has(p.pid));
    if (!alive.length) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(alive, [], 'processes left behind');
}

describe('npm start supervision', () => {
  test('kill -9 of a workerd process: exit 1 with a one-line reason, nothing left', async () => {
    const { tree, exit, stderr } = await startServing();
    const workerd = tree.filter((p) => p.comm === 'workerd');
    process.kill(workerd[workerd.length - 1].pid, 'SIGKILL');
    const code = await exitWithin(exit, 15_000);
    assert.notEqual(code, 0);
    assert.match(stderr(), /^error: workerd \(pid \d+\) died; stopped wrangler dev/m);
    await assertNoneLeft(tree);
  });

  test('kill -9 of wrangler: exit 1, its workerd processes do not survive it', async () => {
    const { tree, exit, stderr } = await startServing();
    const wrangler = tree.find((p) => /wrangler\.js dev/.test(p.args));
    assert.ok(wrangler, JSON.stringify(tree));
    process.kill(wrangler.pid, 'SIGKILL');
    const code = await exitWithin(exit, 15_000);
    assert.notEqual(code, 0);
    assert.match(stderr(), /^error: .*(exited|died)/m);
    await assertNoneLeft(tree);
  });

  test('SIGTERM to npm start: it stops everything it started', async () => {
    const { tree, exit } = await startServing();
    // npm -> sh -> node scripts/start.ts: signal the supervisor itself (what a service manager does).
    const supervisor = tree.find((p) => p.comm === 'node' && /scripts\/start\.ts/.test(p.args));
    assert.ok(supervisor, JSON.stringify(tree));
    process.kill(supervisor.pid, 'SIGTERM');
    await exitWithin(exit, 15_000);
    await assertNoneLeft(tree);
  });
});
