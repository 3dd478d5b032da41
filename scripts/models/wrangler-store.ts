// The registry's object store through wrangler's own R2 commands (`wrangler r2 object get /
// put`): with --local on wrangler's local state (.wrangler/state, the one `wrangler dev` and
// so `npm start` serve from), without it on the account (--remote, needs `wrangler login` or
// CLOUDFLARE_API_TOKEN). The bucket is the one wrangler.toml binds as MODELS.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../build-worker.ts';
import type { ObjectStore } from './registry.ts';

const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const NOT_FOUND = 'The specified key does not exist';

export interface WranglerStoreOptions {
  bucket: string;
  local: boolean;
  /** Local state directory (wrangler's --persist-to); default wrangler's own (.wrangler/state). */
  persistTo?: string;
}

function wrangler(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((ok, bad) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', bad);
    child.on('close', (code) => ok({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
  });
}

export function wranglerStore(o: WranglerStoreOptions): ObjectStore {
  const where = o.local ? ['--local', ...(o.persistTo ? ['--persist-to', o.persistTo] : [])] : ['--remote'];
  const path = (key: string) => `${o.bucket}/${key}`;
  const failure = (what: string, r: { stdout: Buffer; stderr: string }) =>
    new Error(`wrangler r2 object ${what} failed: ${(r.stderr + r.stdout.toString()).replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('🪵')).slice(-3).join(' ')}`);
  return {
    async get(key) {
      const r = await wrangler(['r2', 'object', 'get', path(key), '--pipe', ...where]);
      if (r.code === 0) return new Uint8Array(r.stdout);
      if ((r.stderr + r.stdout.toString()).includes(NOT_FOUND)) return null;
      throw failure(`get ${path(key)}`, r);
    },
    async put(key, bytes, contentType) {
      const dir = mkdtempSync(join(tmpdir(), 'edge-mtl-put-'));
      try {
        const file = join(dir, 'object');
        writeFileSync(file, bytes);
        const r = await wrangler(['r2', 'object', 'put', path(key), '--file', file, '--content-type', contentType, ...where]);
        if (r.code !== 0) throw failure(`put ${path(key)}`, r);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
