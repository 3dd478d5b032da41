// Loading the worker's code: this tree, or --baseline REV exported into a temporary directory
// (so before/after come from one run under the same load).

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../build-worker.ts';

// The worker's modules are loaded at run time (two versions with --baseline) and typed loosely
// here: functions/ is type-checked on its own against the workers types (npm run typecheck:worker).
/* eslint-disable @typescript-eslint/no-explicit-any */
type Mod = Record<string, any>;
export interface WorkerCode {
  label: string;
  root: string;
  app: Mod;
  model: Mod;
  score: Mod;
  validate: Mod;
  body: Mod;
  config: Mod;
  /** model/serving/rank.ts and model/onnx/inputs.ts (feedsOf), as the handler calls them. */
  rank: Mod;
  inputs: Mod;
}

/**
 * The worker as of git revision `rev` in a temporary directory: functions/ and model/serving/
 * (the worker's own code) from `rev`, everything else (model/features, model/onnx, ...,
 * wrangler.toml) from this tree, so that only the worker's code differs between the two
 * versions and both read the same model.
 */
export function exportRevision(rev: string, into: string): string {
  const dir = join(into, `rev-${rev.replace(/[^\w.-]/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ['model', 'package.json', 'wrangler.toml', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  rmSync(join(dir, 'model', 'serving'), { recursive: true, force: true });
  const tar = execFileSync('git', ['archive', '--format=tar', rev, 'functions', 'model/serving'], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export async function loadCode(root: string, label: string): Promise<WorkerCode> {
  const u = (p: string) => pathToFileURL(join(root, p)).href;
  return {
    label,
    root,
    app: await import(u('functions/app.ts')),
    model: await import(u('functions/model.ts')),
    score: await import(u('functions/score.ts')),
    validate: await import(u('functions/validate.ts')),
    body: await import(u('functions/body.ts')),
    config: await import(u('functions/config.ts')),
    rank: await import(u('model/serving/rank.ts')),
    inputs: await import(u('model/onnx/inputs.ts')),
  };
}

export async function wranglerVars(): Promise<Record<string, string>> {
  const { experimental_readRawConfig } = (await import('wrangler')) as unknown as {
    experimental_readRawConfig: (o: { config: string }) => { rawConfig: { vars?: Record<string, unknown> } };
  };
  const vars = experimental_readRawConfig({ config: join(ROOT, 'wrangler.toml') }).rawConfig.vars ?? {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}
