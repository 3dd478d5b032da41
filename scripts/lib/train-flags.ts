// The flags of `npm run train`, in one table: parseArgs' options, `--help` and the flag table
// in README.md are all generated from it (test/docs.test.ts fails when README drifts), so the
// three never disagree about a default.

import { parseArgs } from 'node:util';
import { DEFAULT_ARCH_CONFIG } from '../../model/arch/builder.ts';
import { ARCHITECTURES } from '../../model/arch/index.ts';
import { DATA_SOURCES } from '../../model/data/index.ts';
import { DEFAULT_ROWS } from '../../model/data/synthetic/shop.ts';
import { MAX_EPOCHS, TARGET_STEPS } from '../../model/train/budget.ts';
import { DEFAULT_GRADNORM_ALPHA } from '../../model/train/gradnorm.ts';
import { MAX_DEFAULT_SHARDS, SHARD_ROWS } from '../../model/train/shards.ts';
import { WEIGHTINGS } from '../../model/train/task-weights.ts';
import { fail } from './cli.ts';

export interface Flag {
  name: string;
  /** Placeholder of the value; absent for a boolean switch. */
  value?: string;
  /** The default as parseArgs sees it (string flags only; most defaults are resolved later). */
  parseDefault?: string;
  help: string;
}

export const TRAIN_FLAGS: readonly Flag[] = [
  { name: 'data', value: 'NAME', parseDefault: 'synthetic', help: `${DATA_SOURCES.join(' | ')} (default synthetic)` },
  { name: 'schema', value: 'PATH', help: 'column roles of a csv:PATH / parquet:PATH source, including a "split" column for the own train / valid / test of the data (see docs/data.md)' },
  { name: 'max-bad-share', value: 'X', help: 'stop when more than this share of the rows read are bad (default 0.01)' },
  { name: 'arch', value: 'NAME', parseDefault: 'mmoe', help: `${Object.keys(ARCHITECTURES).join(' | ')} | all (default mmoe)` },
  { name: 'out', value: 'DIR', help: 'output directory (default artifacts/<arch>)' },
  { name: 'rows', value: 'N', help: `synthetic shop size (default ${DEFAULT_ROWS}); taobao: read only the first N lines` },
  { name: 'seeds', value: 'N', help: 'train N times with seeds seed, seed+1, ... on the same split; report mean and sd per task (default 1)' },
  { name: 'seed', value: 'N', help: 'default 42; the same seed gives byte-identical weights (the synthetic shop is generated from it too)' },
  { name: 'batch-size', value: 'N', help: 'default from the training rows: a power of two near rows / 64, within 32..512' },
  { name: 'epochs', value: 'N', help: `maximum epochs; default from the training rows: enough for ${TARGET_STEPS} steps, within 3..${MAX_EPOCHS}` },
  { name: 'eval-every', value: 'N', help: 'optimizer steps between validation passes (default a quarter epoch, at least min(one epoch, 100 steps))' },
  { name: 'patience', value: 'N', help: 'validation passes without improvement before stopping (default about 1,000 steps, within 2..10)' },
  { name: 'lr', value: 'X', help: 'Adam learning rate (default 0.002)' },
  { name: 'warmup', value: 'N', help: 'steps of linear learning-rate warm-up (default 2% of the possible steps, at most 200); then cosine decay to 0.1 x lr' },
  { name: 'average-steps', value: 'N', help: 'validate and keep a moving average of the weights over about N steps, at most a ninth of the steps so far (default the validation interval; 0 = the raw weights)' },
  { name: 'emb-decay', value: 'X', help: 'decoupled weight decay of embedding rows (default 0)' },
  { name: 'emb-dim', value: 'N', help: `embedding width (default ${DEFAULT_ARCH_CONFIG.embeddingDim})` },
  { name: 'dropout', value: 'X', help: `dropout rate after every hidden layer while training, in [0, 1) (default ${DEFAULT_ARCH_CONFIG.dropout})` },
  { name: 'numeric-bins', value: 'N', help: 'quantile bins per numeric feature, each with its own embedding next to the standardised value; 0 = off (default 32)' },
  { name: 'no-match-features', help: "do not derive the match features (for a user / context list and a candidate field that share a vocabulary: the share of the list's values equal to the candidate's; default: derived, listed at the start)" },
  { name: 'weighting', value: 'W', parseDefault: 'fixed', help: `${WEIGHTINGS.join(' | ')} (default fixed)` },
  { name: 'gradnorm-alpha', value: 'X', help: `GradNorm's asymmetry (default ${DEFAULT_GRADNORM_ALPHA})` },
  { name: 'aitm-calibration', value: 'X', help: `weight of AITM's penalty on p(child) > p(parent) (default ${DEFAULT_ARCH_CONFIG.aitmCalibration}; 0 = off)` },
  { name: 'task-weights', value: 'a,b', help: "fixed weights per task, in the data's task order (default 1 each)" },
  { name: 'memory-budget', value: 'SIZE', help: 'memory the encoded training split may take (e.g. 512M, 2G); a larger split is written to chunk files once and streamed, in the order an in-memory split trains in (default a quarter of the RAM, printed at start); validation and test are scored exactly' },
  { name: 'shards', value: 'N', help: `every batch is cut into N shards computed in parallel; the result depends on it (default one per ${SHARD_ROWS} rows of the batch, at least 1, at most ${MAX_DEFAULT_SHARDS}: 2 at batch 512, whatever the machine)` },
  { name: 'threads', value: 'N', help: "threads computing the shards (default the machine's cores, at most one per shard); results do not depend on it" },
  { name: 'kernels', value: 'K', parseDefault: 'auto', help: 'auto | wasm-simd | js (default auto)' },
  { name: 'init-from', value: 'DIR', help: "warm start from a previous model directory: its feature specs (statistics, bin edges, vocabularies) and weights; the data's features, the tasks and --arch / --emb-dim must match it; prints the parent's and the new model's test AUC on the new test split" },
  { name: 'refit-stats', help: 'with --init-from: refit the numeric means and standard deviations on the new training split (bin edges and vocabularies stay the parent\'s)' },
  { name: 'no-export', help: 'skip the ONNX export at the end' },
  { name: 'help', help: 'this text' },
];

/** String flags as given (or their parse default); switches (no value in the table) are booleans. */
export type ParsedFlags = Record<string, string | undefined> & { 'no-export': boolean; 'no-match-features': boolean; 'refit-stats': boolean; help: boolean };

/**
 * The command line parsed against a flag table; a wrong flag is a one-line usage error.
 * With --help, prints the help text and returns null (the command then does nothing).
 */
export function parseFlags(flags: readonly Flag[], usageLine: string): ParsedFlags | null {
  let args: ParsedFlags;
  try {
    args = parseArgs({ options: parseOptions(flags), allowPositionals: false }).values as ParsedFlags;
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (!args.help) return args;
  process.stdout.write(helpText(usageLine, flags));
  return null;
}

/** parseArgs options of the table. */
export function parseOptions(flags: readonly Flag[]) {
  return Object.fromEntries(
    flags.map((f) => [f.name, f.value === undefined ? { type: 'boolean' as const, default: false } : f.parseDefault === undefined ? { type: 'string' as const } : { type: 'string' as const, default: f.parseDefault }]),
  );
}

const usage = (f: Flag) => `--${f.name}${f.value ? ` ${f.value}` : ''}`;

export function helpText(usageLine: string, flags: readonly Flag[]): string {
  const w = Math.max(...flags.map((f) => usage(f).length)) + 2;
  return [usageLine, ...flags.map((f) => `  ${usage(f).padEnd(w)}${f.help}`)].join('\n') + '\n';
}

/** The Markdown table README.md carries between its train-flags markers. */
export function markdownTable(flags: readonly Flag[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return ['| flag | meaning and default |', '|---|---|', ...flags.map((f) => `| \`${usage(f)}\` | ${esc(f.help)} |`)].join('\n');
}
