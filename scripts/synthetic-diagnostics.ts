// node --import tsx scripts/synthetic-diagnostics.ts [--rows N] [--seed S]
//
// Diagnostics of the synthetic shop (defaults: the default size and seed), printed: the Bayes
// AUC per task on valid and test; what can be reached from observable features alone (latents
// replaced by posterior estimates from the row's history, the noisy sensitivity and the rating:
// model/data/synthetic/oracle.ts); a logistic regression on the raw features (one-hot
// categoricals, no crosses, AdaGrad, 2 epochs); the best single field (smoothed per-bucket
// positive rate). These are the figures behind "Signal in interactions, not marginals" and
// "Bayes ceiling" in the README; generation speed is printed too (indicative only).

import { parseArgs } from 'node:util';
import type { Example } from '../model/data/source.ts';
import { observableOracle } from '../model/data/synthetic/oracle.ts';
import { sigmoid } from '../model/data/synthetic/rng.ts';
import { DEFAULT_ROWS, DEFAULT_SEED, syntheticShop, TASKS as SHOP_TASKS } from '../model/data/synthetic/shop.ts';
import { allocBatch, encodeRowInto } from '../model/features/encode.ts';
import { layoutOf } from '../model/features/layout.ts';
import type { FeatureSpec } from '../model/features/spec.ts';
import { NumericStats } from '../model/features/stats.ts';
import { auc } from '../model/metrics/auc.ts';
import { int, main } from './lib/cli.ts';

const TASKS = SHOP_TASKS.map((t) => t.name);
const aucOf = (pred: number[], label: number[]) => auc(Float64Array.from(pred), Float32Array.from(label));

await main(async () => {
  const a = parseArgs({ options: { rows: { type: 'string' }, seed: { type: 'string' } } }).values;
  const t0 = performance.now();
  const shop = syntheticShop({ rows: int('rows', a.rows, DEFAULT_ROWS, 10), seed: a.seed === undefined ? DEFAULT_SEED : Number(a.seed) });
  let n = 0;
  for (const _ of shop.impressions('train')) n++;
  const genRate = n / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  const train = [...shop.examples('train')];
  const exRate = train.length / ((performance.now() - t1) / 1000);
  console.log(`shop: ${JSON.stringify(shop.describe())}`);
  console.log(`generation: ${Math.round(genRate / 1000)}k impressions/s (internal), ${Math.round(exRate / 1000)}k examples/s`);

  // Encoded train split for the baselines.
  const specs: FeatureSpec[] = shop.features.map((s) => ({ ...s }));
  for (const s of specs) {
    if (s.kind !== 'numeric') continue;
    const st = new NumericStats(s.transform);
    for (const ex of train) st.add(ex.features[s.name]);
    const r = st.result();
    s.mean = r.mean;
    s.std = r.std;
  }
  const layout = layoutOf(specs);
  const encode = (exs: Example[]) => {
    const b = allocBatch(layout, exs.length);
    exs.forEach((ex, i) => encodeRowInto(layout, b, i, (name) => ex.features[name]));
    return b;
  };
  const C = layout.categorical.length;
  const D = layout.numeric.length;
  const M = layout.multi;
  const btr = encode(train);
  type Batch = ReturnType<typeof encode>;
  const score = (w: Float64Array, wn: Float64Array, bias: number, b: Batch, i: number) => {
    let z = bias;
    for (let k = 0; k < C; k++) z += w[b.cat[i * C + k]];
    for (let m = 0; m < M.length; m++) {
      const L = M[m].maxLen;
      let cnt = 0;
      let s = 0;
      for (let k = 0; k < L; k++) {
        const r = b.multi[m][i * L + k];
        if (r) {
          cnt++;
          s += w[r];
        }
      }
      if (cnt) z += s / cnt;
    }
    for (let d = 0; d < D; d++) z += wn[d] * b.num[i * D + d];
    return z;
  };
  // Logistic regression, AdaGrad, 2 epochs.
  const lr = TASKS.map((_, t) => {
    const w = new Float64Array(layout.tableRows);
    const g = new Float64Array(layout.tableRows).fill(1e-8);
    const wn = new Float64Array(D);
    const gn = new Float64Array(D).fill(1e-8);
    let bias = 0;
    let gb = 1e-8;
    const eta = 0.05;
    const upd = (r: number, grad: number) => {
      g[r] += grad * grad;
      w[r] -= (eta * grad) / Math.sqrt(g[r]);
    };
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = 0; i < train.length; i++) {
        const y = train[i].labels[t];
        if (y === null) continue;
        const gr = sigmoid(score(w, wn, bias, btr, i)) - y;
        gb += gr * gr;
        bias -= (eta * gr) / Math.sqrt(gb);
        for (let k = 0; k < C; k++) upd(btr.cat[i * C + k], gr);
        for (let m = 0; m < M.length; m++) {
          const L = M[m].maxLen;
          let cnt = 0;
          for (let k = 0; k < L; k++) if (btr.multi[m][i * L + k]) cnt++;
          for (let k = 0; k < L; k++) {
            const r = btr.multi[m][i * L + k];
            if (r) upd(r, gr / cnt);
          }
        }
        for (let d = 0; d < D; d++) {
          const gg = gr * btr.num[i * D + d];
          gn[d] += gg * gg;
          wn[d] -= (eta * gg) / Math.sqrt(gn[d]);
        }
      }
    }
    return (b: Batch, i: number) => score(w, wn, bias, b, i);
  });
  // Per-field marginals: smoothed train positive rate of each categorical bucket.
  const marginals = TASKS.map((_, t) => {
    const pos = new Float64Array(layout.tableRows);
    const cnt = new Float64Array(layout.tableRows);
    let p = 0;
    let m = 0;
    for (let i = 0; i < train.length; i++) {
      const y = train[i].labels[t];
      if (y === null) continue;
      p += y;
      m++;
      for (let k = 0; k < C; k++) {
        pos[btr.cat[i * C + k]] += y;
        cnt[btr.cat[i * C + k]]++;
      }
    }
    const prior = p / m;
    return (b: Batch, i: number, k: number) => {
      const r = b.cat[i * C + k];
      return (pos[r] + 20 * prior) / (cnt[r] + 20);
    };
  });

  const oracleOf = observableOracle(shop);

  for (const split of ['valid', 'test'] as const) {
    const exs = [...shop.examples(split)];
    const b = encode(exs);
    const cols = () => TASKS.map(() => [] as number[]);
    const Y = cols();
    const bayes = cols();
    const oracle = cols();
    const lrP = cols();
    const marg = TASKS.map(() => layout.categorical.map(() => [] as number[]));
    let i = 0;
    for (const imp of shop.impressions(split)) {
      const o = oracleOf(imp);
      for (let t = 0; t < TASKS.length; t++) {
        if (imp.y[t] < 0) continue;
        Y[t].push(imp.y[t]);
        bayes[t].push(imp.p[t]);
        oracle[t].push(o[t]);
        lrP[t].push(lr[t](b, i));
        for (let k = 0; k < C; k++) marg[t][k].push(marginals[t](b, i, k));
      }
      i++;
    }
    for (let t = 0; t < TASKS.length; t++) {
      let best = 0;
      let bestName = '';
      for (let k = 0; k < C; k++) {
        const a = aucOf(marg[t][k], Y[t]);
        if (a > best) {
          best = a;
          bestName = layout.categorical[k].name;
        }
      }
      const pos = Y[t].reduce((s, y) => s + y, 0);
      console.log(
        `${split} ${TASKS[t].padEnd(13)} rows ${Y[t].length} pos ${pos}: Bayes ${aucOf(bayes[t], Y[t]).toFixed(4)}` +
          `  observable-oracle ${aucOf(oracle[t], Y[t]).toFixed(4)}  LR(one-hot) ${aucOf(lrP[t], Y[t]).toFixed(4)}` +
          `  best single field ${best.toFixed(4)} (${bestName})`,
      );
    }
  }
});
