// Shadow scoring: after the response has been sent (ctx.waitUntil), the shadow version scores
// the same request and its divergence from the live scores is logged as one JSON line:
//   {"event":"shadow","live":V,"shadow":S,"rows":n,"tasks":{"click":{"rows":n,"mad":..,"topk":k,"rank_corr":..}}}
// mad = mean absolute difference of the probabilities over the rows the task applies to;
// rank_corr = Spearman correlation, over the live top-k rows of that task, between the live
// and the shadow scores of those rows (1 = the shadow keeps the live top-k order). Nothing
// here can change the response: it runs on the already validated request, after it.

import type { Config } from './config.ts';
import type { ModelHost, ModelInfo } from './model.ts';
import type { Schemas } from './schemas.ts';
import type { RawValue } from '../model/features/spec.ts';
import { feedsOf } from '../model/onnx/inputs.ts';
import { candidatesOf, encode, ortTensor, probabilities } from './score.ts';
import { validateRequest } from './validate.ts';
import { taskDivergence, type TaskDivergence } from '../model/metrics/divergence.ts';

export interface ShadowInput {
  body: unknown;
  userFeatures: Record<string, RawValue> | undefined;
  live: { info: ModelInfo; probs: Map<string, Float32Array> };
  shadow: { host: ModelHost; info: ModelInfo; schemas: Schemas };
  cfg: Config;
}

/** Scores the request with the shadow and logs the divergence line (errors are logged, never thrown). */
export async function shadowScore(x: ShadowInput): Promise<void> {
  const liveVersion = x.live.info.manifest.version;
  const shadowVersion = x.shadow.info.manifest.version;
  try {
    const req = validateRequest(x.body, x.shadow.schemas, x.shadow.info, x.cfg);
    const candidates = candidatesOf(x.shadow.info, req);
    const batch = encode(x.shadow.info, req, x.userFeatures, candidates);
    const session = await x.shadow.host.getSession();
    const outputs = await x.shadow.host.run(session, feedsOf(x.shadow.info.layout, batch, ortTensor));
    const probs = probabilities(x.shadow.info, outputs, batch.n);
    const tasks: Record<string, TaskDivergence> = {};
    for (const t of x.live.info.tasks) {
      const a = x.live.probs.get(t.name);
      const b = probs.get(t.name);
      if (!a || !b) continue;
      const rows: number[] = [];
      candidates.forEach((c, i) => c.kind === t.appliesTo && rows.push(i));
      tasks[t.name] = taskDivergence(a, b, rows);
    }
    console.log(JSON.stringify({ event: 'shadow', live: liveVersion, shadow: shadowVersion, rows: batch.n, tasks }));
  } catch (e) {
    console.log(JSON.stringify({ event: 'shadow', live: liveVersion, shadow: shadowVersion, error: e instanceof Error ? e.message : String(e) }));
  }
}
