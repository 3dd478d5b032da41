// The model the inference / request / cold-start / bundle benchmarks run: artifacts/default
// when it is there (manifest.json + model.onnx + model.int8.onnx), otherwise one trained into
// a temporary directory with
//   npm run train -- --data synthetic --arch mmoe --out DIR      (+ --rows 100000 --epochs 1 in quick mode)
// (the default model's recipe; quick mode trains on fewer rows: same architecture, same table
// sizes, so the same inference cost; 100,000 is a round size whose valid and test splits still
// hold ad conversions, the rarest label).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layoutOf, type FeatureLayout } from '../../model/features/layout.ts';
import { checkManifest, type Manifest } from '../../model/manifest.ts';
import { loadModelDir } from '../../model/onnx/export-dir.ts';
import { exportOnnx } from '../../model/onnx/writer.ts';
import { ROOT } from '../build-worker.ts';

export interface BenchModel {
  dir: string;
  /** 'artifacts/default' or a description of the temporary training run. */
  source: string;
  manifest: Manifest;
  layout: FeatureLayout;
  fp32: Uint8Array;
  int8: Uint8Array;
  /**
   * The per-row export of the same weights (sharing 'per-row': every candidate computed on its
   * own), what serving the model natively would run.
   */
  perRow: { fp32: Uint8Array; int8: Uint8Array };
  /** Seconds spent training it (0 for artifacts/default). */
  trainSeconds: number;
  cleanup(): void;
}

const FILES = ['manifest.json', 'model.onnx', 'model.int8.onnx'];

/** The benchmark's view of a model directory (manifest, both files, the per-row exports). */
export function load(dir: string, source: string, trainSeconds = 0, cleanup: () => void = () => undefined): BenchModel {
  const manifest = checkManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const m = loadModelDir(dir);
  const perRow = {
    fp32: exportOnnx(m.graph, m.layout, { quantization: 'fp32', sharing: 'per-row' }),
    int8: exportOnnx(m.graph, m.layout, { quantization: 'int8', sharing: 'per-row' }),
  };
  return {
    perRow,
    dir,
    source,
    manifest,
    layout: layoutOf(manifest.features),
    fp32: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
    int8: new Uint8Array(readFileSync(join(dir, 'model.int8.onnx'))),
    trainSeconds,
    cleanup,
  };
}

/**
 * The manifest with its int8 model as the file it serves: files.serving dropped, so a worker
 * (of this tree or of an earlier revision, which knows only files.int8) loads model.int8.onnx
 * with the session's own optimisers. The serving graph runs the same kernels at the same speed
 * (docs/performance.md, "Session creation, third pass"); only its session is created faster.
 */
export function int8Manifest(manifest: unknown): Manifest {
  const m = JSON.parse(JSON.stringify(manifest)) as Manifest;
  delete m.files.serving;
  return m;
}

export function benchModel(quick: boolean, log: (s: string) => void): BenchModel {
  const def = join(ROOT, 'artifacts', 'default');
  if (FILES.every((f) => existsSync(join(def, f)))) return load(def, 'artifacts/default', 0, () => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'edge-mtl-bench-model-'));
  const extra = quick ? ['--rows', '100000', '--epochs', '1'] : [];
  const args = ['run', '--silent', 'train', '--', '--data', 'synthetic', '--arch', 'mmoe', '--out', dir, ...extra];
  log(`artifacts/default is missing: npm ${args.join(' ')}`);
  const t0 = performance.now();
  // Its output goes to our stderr: stdout is the benchmark's table.
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  const seconds = (performance.now() - t0) / 1000;
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0 || !FILES.every((f) => existsSync(join(dir, f)))) {
    cleanup();
    throw new Error(`training the benchmark model failed (exit code ${r.status ?? r.signal})`);
  }
  return load(dir, `trained for the benchmark: synthetic, mmoe${quick ? ', 100,000 rows, 1 epoch' : ', default rows and epochs'}`, seconds, cleanup);
}
