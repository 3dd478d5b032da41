// npm run train -- --data synthetic --arch mmoe --out DIR
// Trains one architecture (or all of them, with the logistic-regression baseline, on the
// same split) and writes manifest.json, metrics.json and weights (and the ONNX files).

import { parseArgs } from 'node:util';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { ARCHITECTURES, isArchName, type ArchName } from '../model/arch/index.ts';
import { checkBadShare, describeBadRows, isAudited } from '../model/data/bad-rows.ts';
import { DATA_SOURCES, openDataSource } from '../model/data/index.ts';
import type { KernelKind } from '../model/engine/kernels/index.ts';
import type { DataSource } from '../model/data/source.ts';
import { prepare, type PreparedData } from '../model/train/prepare.ts';
import { trainToDir, type RunOptions } from '../model/train/run.ts';
import { afterTraining, comparisonTable } from '../model/train/compare.ts';
import { DEFAULT_GRADNORM_ALPHA } from '../model/train/gradnorm.ts';
import { WEIGHTINGS, type Weighting } from '../model/train/task-weights.ts';
import { fail, int, main, positive, progressBar } from './lib/cli.ts';

const HELP = `usage: npm run train -- --data synthetic --arch mmoe --out DIR [options]
  --data NAME          ${DATA_SOURCES.join(' | ')}  (default synthetic)
  --schema PATH        column roles of a csv:PATH / parquet:PATH source (see docs/data.md)
  --max-bad-share X    stop when more than this share of the rows read are bad (default 0.01)
  --arch NAME          ${Object.keys(ARCHITECTURES).join(' | ')} | all   (default mmoe)
  --out DIR            output directory (default artifacts/<arch>)
  --rows N             synthetic shop size (default 1500000); taobao: read only the first N lines
  --epochs N           maximum epochs (default 3); early stopping on validation AUC
  --patience X         epochs without improvement before stopping (default 0.5)
  --evals-per-epoch N  validation passes per epoch; the best one's weights are kept (default 4)
  --batch-size N       default 512
  --lr X               Adam learning rate (default 0.002)
  --emb-decay X        decoupled weight decay of embedding rows (default 0)
  --seed N             default 42; the same seed gives byte-identical weights
  --threads N          worker threads (default 2); results do not depend on it
  --kernels K          auto | wasm-simd | js (default auto)
  --weighting W        ${WEIGHTINGS.join(' | ')} (default fixed)
  --gradnorm-alpha X   GradNorm's asymmetry (default ${DEFAULT_GRADNORM_ALPHA}, the paper's NYUv2 setting)
  --task-weights a,b   fixed weights per task, in the data's task order
  --aitm-calibration X weight of AITM's penalty on p(child) > p(parent) (default ${DEFAULT_ARCH_CONFIG.aitmCalibration}, the paper's; 0 = off)
  --emb-dim N          embedding width (default ${DEFAULT_ARCH_CONFIG.embeddingDim})
  --no-export          skip the ONNX export at the end`;

await main(async () => {
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string', default: 'synthetic' },
        schema: { type: 'string' },
        'max-bad-share': { type: 'string' },
        arch: { type: 'string', default: 'mmoe' },
        out: { type: 'string' },
        rows: { type: 'string' },
        epochs: { type: 'string' },
        patience: { type: 'string' },
        'evals-per-epoch': { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        'emb-decay': { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        kernels: { type: 'string', default: 'auto' },
        weighting: { type: 'string', default: 'fixed' },
        'task-weights': { type: 'string' },
        'gradnorm-alpha': { type: 'string' },
        'aitm-calibration': { type: 'string' },
        'emb-dim': { type: 'string' },
        'no-export': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (args.help) {
    console.log(HELP);
    return;
  }
  const arch = args.arch!;
  if (arch !== 'all' && !isArchName(arch)) fail(`unknown architecture "${arch}" (one of ${Object.keys(ARCHITECTURES).join(', ')}, all)`);
  if (!['auto', 'wasm-simd', 'js'].includes(args.kernels!)) fail(`--kernels must be auto, wasm-simd or js`);
  if (!(WEIGHTINGS as readonly string[]).includes(args.weighting!)) fail(`--weighting must be one of ${WEIGHTINGS.join(', ')}`);
  const gradnormAlpha = args['gradnorm-alpha'] === undefined ? DEFAULT_GRADNORM_ALPHA : Number(args['gradnorm-alpha']);
  if (!(gradnormAlpha >= 0 && Number.isFinite(gradnormAlpha))) fail(`--gradnorm-alpha must be a number >= 0, got "${args['gradnorm-alpha']}"`);
  const aitmCalibration = args['aitm-calibration'] === undefined ? DEFAULT_ARCH_CONFIG.aitmCalibration : Number(args['aitm-calibration']);
  if (!(aitmCalibration >= 0 && Number.isFinite(aitmCalibration))) fail(`--aitm-calibration must be a number >= 0, got "${args['aitm-calibration']}"`);
  const seed = int('seed', args.seed, 42, 0);
  const maxBadShare = args['max-bad-share'] === undefined ? 0.01 : Number(args['max-bad-share']);
  if (!(maxBadShare >= 0 && maxBadShare <= 1)) fail(`--max-bad-share must be a number in [0, 1], got "${args['max-bad-share']}"`);
  const source = openDataSource(args.data!, { rows: args.rows === undefined ? undefined : int('rows', args.rows, 0, 100), seed, schema: args.schema });
  // File-backed sources read every row when opened: report bad rows, and stop before training
  // on a file that is mostly unreadable.
  if (isAudited(source)) {
    const bad = Object.values(source.badRows).reduce((a, b) => a + b, 0);
    if (bad) process.stderr.write(`bad rows: ${bad} of ${source.rowsRead} (${((bad / source.rowsRead) * 100).toFixed(2)}%): ${describeBadRows(source.badRows, source.badRowLines)}\n`);
    checkBadShare(source, maxBadShare);
  }
  let taskWeights: number[] | undefined;
  if (args['task-weights'] !== undefined) {
    taskWeights = args['task-weights'].split(',').map((x) => Number(x));
    if (taskWeights.length !== source.tasks.length || taskWeights.some((x) => !(x >= 0))) {
      fail(`--task-weights needs ${source.tasks.length} non-negative numbers (tasks: ${source.tasks.map((t) => t.name).join(', ')})`);
    }
  }
  const t0 = performance.now();
  const data = prepare(source);
  const bad = Object.entries(source.badRows ?? {});
  if (bad.length && !isAudited(source)) process.stderr.write(`skipped bad rows: ${bad.map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  process.stderr.write(
    `data ${source.name}: train ${data.splits.train.n.toLocaleString('en-US')}, valid ${data.splits.valid.n.toLocaleString('en-US')}, test ${data.splits.test.n.toLocaleString('en-US')} rows (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  const base: Omit<RunOptions, 'arch' | 'out'> = {
    cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: int('emb-dim', args['emb-dim'], DEFAULT_ARCH_CONFIG.embeddingDim), aitmCalibration },
    epochs: int('epochs', args.epochs, 3),
    patience: positive('patience', args.patience, 0.5),
    evalsPerEpoch: int('evals-per-epoch', args['evals-per-epoch'], 4),
    batchSize: int('batch-size', args['batch-size'], 512, 2),
    lr: positive('lr', args.lr, 0.002),
    embeddingDecay: args['emb-decay'] === undefined ? 0 : positive('emb-decay', args['emb-decay'], 0),
    seed,
    threads: int('threads', args.threads, 2),
    kernels: args.kernels as KernelKind,
    weighting: args.weighting as Weighting,
    gradnormAlpha,
    taskWeights,
    dataInfo: source.describe(),
    baseline: baselineOf(source, data),
  };
  const archs: ArchName[] = arch === 'all' ? (Object.keys(ARCHITECTURES) as ArchName[]) : [arch as ArchName];
  const outRoot = args.out ?? `artifacts/${arch}`;
  const results = [];
  for (const a of archs) {
    const out = arch === 'all' ? `${outRoot}/${a}` : outRoot;
    const r = await trainToDir(data, { ...base, arch: a, out, onProgress: progressBar(a) });
    await afterTraining(r, data, { export: !args['no-export'] });
    results.push({ arch: a, result: r });
  }
  console.log(comparisonTable(outRoot, data.tasks, results, arch === 'all'));
});

/** The source's own baseline predictions on valid and test, checked against the split sizes. */
function baselineOf(source: DataSource, data: PreparedData): RunOptions['baseline'] {
  if (!source.baseline) return undefined;
  const T = data.tasks.length;
  const valid = source.baseline('valid');
  const test = source.baseline('test');
  if (valid.length !== data.splits.valid.n * T || test.length !== data.splits.test.n * T) {
    throw new Error(`data ${source.name}: baseline predictions do not match the valid / test rows`);
  }
  return { valid, test };
}
