// A comparison directory made the way users make one: `npm run train -- --arch all` on a small
// synthetic shop (no export, so it takes seconds), which writes every model directory with its
// curves.json and report.html, comparison.json and the comparison's report.html.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/build-worker.ts';

export interface TrainedComparison {
  dir: string;
  stderr: string;
}

export function trainComparison(): TrainedComparison {
  const dir = join(mkdtempSync(join(tmpdir(), 'edge-mtl-report-')), 'cmp');
  const args = ['--import', 'tsx', 'scripts/train.ts', '--data', 'synthetic', '--arch', 'all', '--rows', '50000', '--epochs', '1', '--eval-every', '34', '--no-export', '--threads', '1', '--emb-dim', '4', '--out', dir];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`training failed (${r.status}): ${r.stderr}`);
  return { dir, stderr: r.stderr };
}
