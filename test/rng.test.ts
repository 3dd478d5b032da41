// Both seeded generators (the engine's, model/engine/rng.ts, and the synthetic shop's,
// model/data/synthetic/rng.ts) run on one sfc32 core with two seedings. Every seeded result of
// the project (initial weights, shuffles, the synthetic data) depends on their exact streams,
// so these hashes pin them: they were recorded from the two separate generators before they
// shared the core, and any change to the core, a seeding or a sampler changes one of them.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SyntheticShop } from '../model/data/synthetic/shop.ts';
import { Rng as ShopRng } from '../model/data/synthetic/rng.ts';
import { Rng as EngineRng } from '../model/engine/rng.ts';

const SEEDS = [0, 1, 42, 0xffffffff, 123456789];

/** The first 10,000 raw outputs, then 1,000 draws of each sampler, then a shuffle. */
function engineStream(seed: number): string {
  const r = new EngineRng(seed);
  const h = createHash('sha256');
  for (let i = 0; i < 10_000; i++) h.update(String(r.u32()) + ',');
  for (let i = 0; i < 1000; i++) h.update(r.normal().toString() + ',' + r.uniform(-2, 3) + ',');
  const a = Int32Array.from({ length: 100 }, (_, i) => i);
  r.shuffle(a);
  h.update(a.join(','));
  return h.digest('hex');
}

/** The first 10,000 raw outputs, 1,000 draws of each sampler, then 100 after a reseed in place. */
function shopStream(seed: number): string {
  const r = new ShopRng(seed);
  const h = createHash('sha256');
  for (let i = 0; i < 10_000; i++) h.update(String(r.u32()) + ',');
  for (let i = 0; i < 1000; i++) h.update(`${r.normal()},${r.gamma(0.5)},${r.int(7)},${r.chance(0.3)},`);
  r.reseed(seed ^ 0xdead);
  for (let i = 0; i < 100; i++) h.update(String(r.next()) + ',');
  return h.digest('hex');
}

test('the engine generator gives the same streams for every seed', () => {
  assert.deepEqual(SEEDS.map(engineStream), [
    '275eeff00061655af22e4650c7f5393230c8af0ae45513c7c922e397de544c03',
    '2f3faa0b8f4833afd52204974d111522e0235e56e2cec0759ee6df4cbc6c4f1b',
    '466d7e1b3972327b08ed029a3c03d95803efe62416028317532e1dfc4b43622b',
    '4de0deb302d975ae67b56fb3c55c007c4efedd8a2e074677ecdc5d85b5ed2467',
    '7ce7f3fe9c94ea96a33cc649a834cc957ba3c5fd549c7798e0cc7b0e69e655be',
  ]);
});

test('the synthetic shop generator gives the same streams for every seed', () => {
  assert.deepEqual(SEEDS.map(shopStream), [
    'e32b92fc173b44540726b1f06ce6ed64b0b62f1a1a2cd96bc9dbd95552212442',
    'e090ff1250aecc2c02239a4eff45a9175a766fd2d8529809f0306c085614ee01',
    '9c83245ca95b31207ea7f02712b0b6bb40fa3b962ee31087c3c07fedbda20a9d',
    '5a186e3484a8c6d8f1b591b1facf5ca4429f9f4ebbbb53526208ca20961e3e6b',
    'e9b30d9a45ce2a04b0790a69f933750097ab487723540e5c8473a1ed5835da13',
  ]);
});

test('the synthetic shop gives the same first rows (catalogue, calibration, impressions, labels)', () => {
  const src = new SyntheticShop({ rows: 20_000, seed: 42 });
  const h = createHash('sha256');
  for (const split of ['train', 'test'] as const) {
    let k = 0;
    for (const e of src.examples(split)) {
      h.update(JSON.stringify(e));
      if (++k >= 300) break;
    }
  }
  assert.equal(h.digest('hex'), '4cd0c01b3ebf371e889be9ee0e5d47f45bea322bbf152fb72622d60a4d98482d');
});
