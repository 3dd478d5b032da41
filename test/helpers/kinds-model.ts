// A model of three candidate kinds declared by its CSV schema (item, coupon, and ad ranked by
// expected value p(ad_click) * ad_bid): a seeded CSV, trained for two quick epochs and
// exported, for the tests of what a data-declared kind changes (the worker, the playground,
// the bench and load request builders). No code for ads anywhere but this schema.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ARCH_CONFIG } from '../../model/arch/builder.ts';
import { csvSource } from '../../model/data/csv/source.ts';
import { parseSchema } from '../../model/data/schema.ts';
import { checkManifest, type Manifest } from '../../model/manifest.ts';
import { exportModelDir, SERVING_FILE } from '../../model/onnx/export-dir.ts';
import { prepare } from '../../model/train/prepare.ts';
import { trainToDir } from '../../model/train/train-to-dir.ts';

export const KINDS_SCHEMA = {
  kinds: [{ name: 'item' }, { name: 'coupon' }, { name: 'ad', field: 'ads', value: [{ task: 'ad_click', feature: 'ad_bid' }] }],
  columns: [
    { name: 'user_id', role: 'categorical', entity: 'user', buckets: 64, group: true },
    { name: 'device', role: 'categorical', entity: 'context', buckets: 10 },
    { name: 'kind', role: 'candidate_kind' },
    { name: 'item_category', role: 'categorical', entity: 'item', buckets: 16 },
    { name: 'coupon_discount', role: 'numeric', entity: 'coupon', transform: 'identity' },
    { name: 'ad_advertiser', role: 'categorical', entity: 'ad', buckets: 16 },
    { name: 'ad_bid', role: 'numeric', entity: 'ad', transform: 'log1p' },
    { name: 'click', role: 'label', appliesTo: 'item' },
    { name: 'redeem', role: 'label', appliesTo: 'coupon' },
    { name: 'ad_click', role: 'label', appliesTo: 'ad' },
    { name: 'ad_conversion', role: 'label', appliesTo: 'ad', parent: 'ad_click' },
  ],
};

/** A seeded CSV of the three kinds, labels depending on the user and the candidate so that every task is learnable. */
function writeCsv(path: string, n: number): void {
  let s = 12345;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines = ['user_id,device,kind,item_category,coupon_discount,ad_advertiser,ad_bid,click,redeem,ad_click,ad_conversion'];
  for (let i = 0; i < n; i++) {
    const u = Math.floor(r() * 40);
    const device = r() < 0.5 ? 'ios' : 'web';
    const kind = i % 3 === 0 ? 'item' : i % 3 === 1 ? 'coupon' : 'ad';
    const taste = (u % 4) / 4;
    if (kind === 'item') {
      const c = Math.floor(r() * 6);
      lines.push(`u${u},${device},item,c${c},,,,${r() < 0.2 + 0.6 * Number(c % 4 === u % 4) ? 1 : 0},,,`);
    } else if (kind === 'coupon') {
      const d = Math.round(r() * 40) / 100;
      lines.push(`u${u},${device},coupon,,${d},,,,${r() < 0.1 + d + 0.3 * taste ? 1 : 0},,`);
    } else {
      const a = Math.floor(r() * 5);
      const bid = Math.round((0.1 + r() * 2) * 100) / 100;
      const click = r() < 0.15 + 0.5 * Number(a === u % 5) ? 1 : 0;
      lines.push(`u${u},${device},ad,,,a${a},${bid},,,${click},${click && r() < 0.4 + 0.3 * Number(device === 'ios') ? 1 : 0}`);
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

export interface KindsModel {
  /** The exported model directory (manifest.json, model.int8.onnx, ...). */
  dir: string;
  manifest: Manifest;
  /** model.int8.onnx (the reference the tests score with onnxruntime-node). */
  onnx: Uint8Array;
  /** model.int8.optimized.onnx: what an int8 bundle of this model serves (files.serving). */
  serving: Uint8Array;
  /** Removes the model's temporary directory. */
  remove(): void;
}

/** Trains and exports the three-kind model in a fresh temporary directory (a few seconds). */
export async function trainKindsModel(): Promise<KindsModel> {
  const root = mkdtempSync(join(tmpdir(), 'edge-mtl-kinds-'));
  const csv = join(root, 'shop.csv');
  writeCsv(csv, 1800);
  const source = csvSource(csv, parseSchema(KINDS_SCHEMA));
  const dir = join(root, 'model');
  await trainToDir(prepare(source), {
    arch: 'mmoe',
    cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: 4, expertDims: [16], towerDims: [8], experts: 2 },
    epochs: 2,
    batchSize: 128,
    lr: 0.01,
    seed: 1,
    threads: 1,
    shards: 1,
    weighting: 'fixed',
    patience: 2,
    kernels: 'js',
    out: dir,
    dataInfo: source.describe(),
  });
  await exportModelDir(dir);
  return {
    dir,
    manifest: checkManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))),
    onnx: new Uint8Array(readFileSync(join(dir, 'model.int8.onnx'))),
    serving: new Uint8Array(readFileSync(join(dir, SERVING_FILE))),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
