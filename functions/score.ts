// Scoring one validated request: one batch with every candidate (items first, then coupons,
// each in request order), one inference call, per-kind task probabilities, ranking.

import type { EncodedBatch } from '../model/features/encode.ts';
import { inputSpecs } from '../model/onnx/inputs.ts';
import { assembleBatch, type ServingCandidate } from '../model/serving/assemble.ts';
import { expectedRevenue, priceOf, productScore, type RankFormula } from '../model/serving/rank.ts';
import type { RawValue } from '../model/features/spec.ts';
import type { Config } from './config.ts';
import type { ModelInfo } from './model.ts';
import { Tensor, type OrtTensor } from './ort.ts';
import type { ValidRequest } from './validate.ts';

export interface Scored {
  id: string;
  score: number;
  [task: string]: number | string;
}

export function candidatesOf(req: ValidRequest): ServingCandidate[] {
  const out: ServingCandidate[] = [];
  for (const c of req.items ?? []) out.push({ id: c.id, kind: 'item', features: c.features });
  for (const c of req.coupons ?? []) out.push({ id: c.id, kind: 'coupon', features: c.features });
  return out;
}

export function encode(info: ModelInfo, req: ValidRequest, user: Record<string, RawValue> | undefined, candidates: ServingCandidate[]): EncodedBatch {
  return assembleBatch(info.layout, { userId: req.user?.id, user, context: req.context, candidates });
}

export function feedsOf(info: ModelInfo, batch: EncodedBatch): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  const n = batch.n;
  let m = 0;
  for (const spec of inputSpecs(info.layout)) {
    const data = spec.name === 'cat' ? batch.cat : spec.name === 'num' ? batch.num : batch.multi[m++];
    feeds[spec.name] = new Tensor(spec.type, data, [n, spec.width]);
  }
  return feeds;
}

/** Probabilities of each task as a Float32Array of n values (outputs are [n, 1] or [n]). */
export function probabilities(info: ModelInfo, outputs: Record<string, OrtTensor>, n: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of info.tasks) {
    const o = outputs[t.name];
    const data = o?.data;
    if (!(data instanceof Float32Array) || data.length !== n) {
      throw new Error(`model output ${t.name}: expected ${n} float32 values, got ${o ? `${o.type} [${o.dims.join(', ')}]` : 'nothing'}`);
    }
    out.set(t.name, data);
  }
  return out;
}

export interface RankSettings {
  formula: RankFormula;
  /** Effective weight of every task of the model. */
  weights: Record<string, number>;
}

export function rankSettings(info: ModelInfo, cfg: Config, req: ValidRequest): RankSettings {
  const weights: Record<string, number> = {};
  for (const t of info.tasks) {
    const override = req.rank?.weights?.[t.name];
    weights[t.name] = override ?? cfg.rankWeights[t.name] ?? 1;
  }
  return { formula: req.rank?.formula ?? cfg.rankFormula, weights };
}

/** Ranked, cut lists of items and coupons. */
export function rank(
  info: ModelInfo,
  cfg: Config,
  settings: RankSettings,
  candidates: ServingCandidate[],
  probs: Map<string, Float32Array>,
  topK: number | undefined,
): { items: Scored[]; coupons: Scored[] } {
  const lists = { item: [] as { s: Scored; i: number }[], coupon: [] as { s: Scored; i: number }[] };
  const taskProbs = { item: info.tasksOf.item.map((t) => probs.get(t.name)!), coupon: info.tasksOf.coupon.map((t) => probs.get(t.name)!) };
  const taskWeights = { item: info.tasksOf.item.map((t) => settings.weights[t.name]), coupon: info.tasksOf.coupon.map((t) => settings.weights[t.name]) };
  const revenueProbs = probs.get(cfg.revenueTask);
  const p: number[] = [];
  candidates.forEach((c, row) => {
    const tasks = info.tasksOf[c.kind];
    const s: Scored = { id: c.id, score: 0 };
    p.length = tasks.length;
    for (let t = 0; t < tasks.length; t++) p[t] = taskProbs[c.kind][t][row];
    let score: number;
    if (settings.formula === 'revenue' && c.kind === 'item' && revenueProbs) {
      const raw = c.features && Object.prototype.hasOwnProperty.call(c.features, cfg.priceFeature) ? c.features[cfg.priceFeature] : undefined;
      score = expectedRevenue(revenueProbs[row], priceOf(raw) ?? 0);
    } else {
      score = productScore(p, taskWeights[c.kind]);
    }
    s.score = Number.isFinite(score) ? score : 0;
    for (let t = 0; t < tasks.length; t++) s[tasks[t].name] = p[t];
    lists[c.kind].push({ s, i: row });
  });
  const finish = (l: { s: Scored; i: number }[]) => {
    l.sort((a, b) => b.s.score - a.s.score || a.i - b.i);
    return (topK !== undefined ? l.slice(0, topK) : l).map((x) => x.s);
  };
  return { items: finish(lists.item), coupons: finish(lists.coupon) };
}
