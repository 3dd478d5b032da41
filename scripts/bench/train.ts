// Training throughput: the reference configuration of shared/notes/training-engine.md with 1
// and 2 threads, next to PyTorch's on the same rows when /usr/bin/python3 has torch
// (train-torch.py; runs alternate, project then PyTorch, round after round, so load from other
// processes hits both alike, and the ratios are paired by round); the default synthetic-shop
// model; and peak RSS of a streamed training split as the rows grow tenfold. Each run is a
// child process (its peak memory is its own).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from './stats.ts';

export interface TrainBench {
  samplesPerSec: Summary;
  peakRssBytes: number;
  kernels: string;
}

const PYTHON = '/usr/bin/python3';
/** The memory budget of the RSS runs: small enough that 1M rows stream already. */
const RSS_BUDGET = 64 * 2 ** 20;

function run(cmd: string, args: string[]): Record<string, unknown> & { perEpoch: number[]; peakRssBytes: number; kernels: string } {
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function child(args: Record<string, string | number>): TrainBench {
  const r = run(process.execPath, ['--import', 'tsx', 'scripts/bench/train-child.ts', ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])]);
  return { samplesPerSec: summarize(r.perEpoch), peakRssBytes: r.peakRssBytes, kernels: r.kernels };
}

function torchChild(rows: string, threads: number, epochs: number): TrainBench {
  const r = run(PYTHON, ['scripts/bench/train-torch.py', '--rows', rows, '--threads', String(threads), '--epochs', String(epochs)]);
  return { samplesPerSec: summarize(r.perEpoch), peakRssBytes: r.peakRssBytes, kernels: r.kernels };
}

/**
 * The BLAS library torch's matrix products run on. Debian's python3-torch links
 * libblas.so.3, which the alternatives system points at whichever BLAS is installed: with
 * only libblas3 (netlib's reference implementation) torch's GEMMs ran 4-5x slower on this
 * machine than with OpenBLAS (reference task, 1 thread: 15,800 vs 72,000 samples/s), and a
 * comparison against that would flatter the project. No BLAS library mapped: torch's own
 * (e.g. pip wheels link MKL statically).
 */
export interface TorchBlas {
  /** OpenBLAS, MKL, BLIS, reference BLAS (netlib) or built into torch */
  library: string;
  path: string | null;
  /** false for netlib's reference BLAS: the figures are then not a fair reference */
  optimized: boolean;
}

/**
 * Which BLAS the mapped libraries of a torch process are (their resolved paths). The file
 * libblas.so.3 resolves to decides, since torch calls its sgemm: with the BLAS alternative on
 * netlib and LAPACK's on OpenBLAS both are mapped, and PyTorch ran at the reference speed
 * (18,000 vs 87,000 samples/s). Without a libblas, a BLAS named by its files (MKL, ...).
 */
export function classifyBlas(paths: string[]): TorchBlas {
  const named = (p: string) => (/openblas/i.test(p) ? 'OpenBLAS' : /mkl/i.test(p) ? 'MKL' : /blis/i.test(p) ? 'BLIS' : null);
  const libblas = paths.find((p) => /libblas\.so/.test(p));
  if (libblas) {
    const library = named(libblas);
    return library ? { library, path: libblas, optimized: true } : { library: 'reference BLAS (netlib)', path: libblas, optimized: false };
  }
  for (const path of paths) {
    const library = named(path);
    if (library) return { library, path, optimized: true };
  }
  return { library: 'built into torch', path: null, optimized: true };
}

// Runs one product so that a lazily loaded BLAS is mapped, then lists the mapped BLAS files.
const PROBE = [
  'import json, os, torch',
  'torch.ones(64, 64) @ torch.ones(64, 64)',
  "libs = sorted({os.path.realpath(l.split()[-1]) for l in open('/proc/self/maps') if l.count('/') and any(k in l.lower() for k in ('blas', 'mkl', 'blis'))})",
  "print(json.dumps({'version': torch.__version__, 'libs': libs}))",
].join('\n');

/** torch's version and BLAS, or why it cannot run. */
export function torchStatus(): { version: string; blas: TorchBlas } | { missing: string } {
  const r = spawnSync(PYTHON, ['-c', PROBE], { encoding: 'utf8' });
  if (r.error) return { missing: `${PYTHON} not found` };
  if (r.status !== 0) return { missing: `${PYTHON} -c 'import torch' fails (${r.stderr.trim().split('\n').pop()}); on Debian: apt-get install python3-torch` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; libs: string[] };
  return { version: out.version, blas: classifyBlas(out.libs) };
}

/** The warning printed (and put in the README) when torch's BLAS is not a fair reference. */
export function blasWarning(blas: TorchBlas): string | null {
  if (blas.optimized) return null;
  return `PyTorch ran on netlib's reference BLAS (${blas.path}), 4-5x slower than OpenBLAS: the ratios to it flatter the project. On Debian: apt-get install libopenblas0-pthread (if it is installed: update-alternatives --auto libblas.so.3-x86_64-linux-gnu)`;
}

/** Medians of several runs of one setting, and the run summaries. */
export interface Repeated {
  median: number;
  runs: TrainBench[];
}

const repeated = (runs: TrainBench[]): Repeated => ({ median: summarize(runs.map((r) => r.samplesPerSec.median)).median, runs });

export interface TrainingFigures {
  rounds: number;
  reference_1t: Repeated;
  reference_2t: Repeated;
  torch: { version: string; blas: TorchBlas; torch_1t: Repeated; torch_2t: Repeated; ratio_1t: number; ratio_2t: number; best: 'torch_1t' | 'torch_2t'; ratio_2t_vs_best: number } | { missing: string };
  synthetic_2t: TrainBench;
  rss: { rows: number; trainRows: number; streamed: boolean; peakRssBytes: number }[];
}

export function benchTraining(quick: boolean): TrainingFigures {
  const refRows = quick ? 50_000 : 250_000; // 80% of it is the training split (200k as in the note)
  const epochs = quick ? 1 : 2;
  const rounds = quick ? 1 : 3;
  const status = torchStatus();
  const dir = mkdtempSync(join(tmpdir(), 'edge-mtl-bench-train-'));
  try {
    const rows = join(dir, 'reference');
    if ('version' in status) execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench/reference-rows.ts', '--rows', String(refRows), '--out', rows], { stdio: 'ignore' });
    const p1: TrainBench[] = [];
    const p2: TrainBench[] = [];
    const t1: TrainBench[] = [];
    const t2: TrainBench[] = [];
    for (let r = 0; r < rounds; r++) {
      p1.push(child({ data: 'reference', threads: 1, rows: refRows, epochs }));
      if ('version' in status) t1.push(torchChild(rows, 1, epochs));
      p2.push(child({ data: 'reference', threads: 2, rows: refRows, epochs }));
      if ('version' in status) t2.push(torchChild(rows, 2, epochs));
    }
    const paired = (a: TrainBench[], b: TrainBench[]) => summarize(a.map((x, i) => x.samplesPerSec.median / b[i].samplesPerSec.median)).median;
    let torch: TrainingFigures['torch'] = status as { missing: string };
    if ('version' in status) {
      const best = repeated(t1).median >= repeated(t2).median ? 'torch_1t' : 'torch_2t';
      torch = { version: status.version, blas: status.blas, torch_1t: repeated(t1), torch_2t: repeated(t2), ratio_1t: paired(p1, t1), ratio_2t: paired(p2, t2), best, ratio_2t_vs_best: paired(p2, best === 'torch_1t' ? t1 : t2) };
    }
    const synthetic_2t = child({ data: 'synthetic', threads: 2, rows: quick ? 60_000 : 600_000, epochs: 1 });
    // Peak RSS with the training split streamed (the same budget both times): flat as rows grow.
    const rss = (quick ? [100_000, 1_000_000] : [1_000_000, 10_000_000]).map((n) => {
      const r = run(process.execPath, ['--import', 'tsx', 'scripts/bench/train-child.ts', '--data', 'synthetic', '--threads', '2', '--rows', String(n), '--epochs', '1', '--memory-budget', String(RSS_BUDGET), '--max-steps', '400']);
      return { rows: n, trainRows: r.trainRows as number, streamed: r.streamed as boolean, peakRssBytes: r.peakRssBytes };
    });
    return { rounds, reference_1t: repeated(p1), reference_2t: repeated(p2), torch, synthetic_2t, rss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines `npm run bench` prints for the training figures. */
export function trainingLines(t: TrainingFigures): string[] {
  const k = (x: number) => Math.round(x).toLocaleString('en-US');
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const lines = [`training, reference task of the note (samples/s, median of ${t.rounds} alternated round${t.rounds > 1 ? 's' : ''}; each run's median over quarter epochs)`];
  const row = (name: string, r: Repeated) => lines.push(`  ${name.padEnd(30)} ${k(r.median).padStart(8)}  peak RSS ${mib(r.runs[0].peakRssBytes)}  (${r.runs[0].kernels})`);
  row('project, 1 thread', t.reference_1t);
  row('project, 2 threads', t.reference_2t);
  if ('version' in t.torch) {
    row('PyTorch SparseAdam, 1 thread', t.torch.torch_1t);
    row('PyTorch SparseAdam, 2 threads', t.torch.torch_2t);
    lines.push(`  PyTorch's BLAS: ${t.torch.blas.library}${t.torch.blas.path ? ` (${t.torch.blas.path})` : ''}`);
    const warning = blasWarning(t.torch.blas);
    if (warning) lines.push(`  WARNING: ${warning}`);
    lines.push(`  project / PyTorch, paired by round: 1 thread each ${t.torch.ratio_1t.toFixed(2)}x, 2 threads each ${t.torch.ratio_2t.toFixed(2)}x, project 2 threads vs PyTorch's best (${t.torch.best}) ${t.torch.ratio_2t_vs_best.toFixed(2)}x`);
  } else lines.push(`  PyTorch: not measured: ${t.torch.missing}`);
  lines.push(`  project 2 threads / 1 thread: ${(t.reference_2t.median / t.reference_1t.median).toFixed(2)}x`);
  lines.push(`  default synthetic model, 2 threads: ${k(t.synthetic_2t.samplesPerSec.median)} samples/s`);
  const [a, b] = t.rss;
  const how = (r: (typeof t.rss)[number]) => `${k(r.rows)} rows ${mib(r.peakRssBytes)} (${r.streamed ? 'streamed' : 'in memory'})`;
  lines.push(`  peak RSS, memory budget ${mib(RSS_BUDGET)}, default synthetic model: ${how(a)}, ${how(b)}: ${(b.peakRssBytes / a.peakRssBytes).toFixed(2)}x`);
  return lines;
}
