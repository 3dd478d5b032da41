// Fuzzing the worker in workerd: FUZZ_COUNT (default 1,500) seeded requests per worker from
// test/helpers/worker-fuzz.ts (types, sizes, unicode, structure, raw bytes, chunked,
// compressed), built from the test model's manifest, against a worker without and one with
// an API key (requests to it carry the right key, a wrong one or none). Never a 5xx; every
// 4xx a JSON error with a code, a message and a path (non-empty for errors about one field);
// every 200 keeps the score contract (the requested ids, finite probabilities in [0, 1]).
// FUZZ_SEED changes the seed (default 1); FUZZ_COUNT=5000 is the 10,000-request run.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scoreContractViolation } from '../scripts/lib/score-contract.ts';
import { RequestFuzzer } from './helpers/worker-fuzz.ts';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';

const COUNT = Number(process.env.FUZZ_COUNT ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const KEY = 'fuzz-key-0c1d';
/** Codes about one field of the body: their path must name it. */
const FIELD_CODES = new Set(['unknown_field', 'unknown_feature', 'unknown_task', 'invalid_feature_value', 'missing_field', 'duplicate_id', 'too_many_candidates', 'no_candidates', 'unsupported_candidates', 'missing_price', 'unsupported_formula']);

let w: TestWorker;
let h: Harness;

before(async () => {
  w = await testWorker();
  h = await startWorkers(w.built, [{ name: 'open' }, { name: 'keyed', bindings: { API_KEY: KEY } }]);
});

after(async () => {
  await h?.dispose();
});

async function fuzz(worker: string, seed: number): Promise<Map<string, number>> {
  const fz = new RequestFuzzer(seed, w.model.manifest.features, w.model.manifest.tasks);
  const counts = new Map<string, number>();
  const problems: string[] = [];
  const one = async (i: number) => {
    const { init: makeInit, plain, what } = fz.nextRequest();
    let auth: Record<string, string> = {};
    if (worker === 'keyed') {
      const r = i % 10;
      auth = r < 8 ? { authorization: `Bearer ${KEY}` } : r === 8 ? { authorization: 'Bearer nope' } : {};
    }
    const send = () => {
      const init = makeInit();
      init.headers = { ...(init.headers as Record<string, string>), ...auth };
      return h.fetch(worker, '/v1/score', init);
    };
    let res: Response;
    try {
      try {
        res = await send();
      } catch (e) {
        // A kept-alive connection the server closed while idle (EPIPE / reset before any
        // answer): a transport race, retried once as HTTP clients do; counted in the summary.
        const code = (e as { cause?: { code?: string } }).cause?.code;
        if (code !== 'EPIPE' && code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET') throw e;
        counts.set('retried', (counts.get('retried') ?? 0) + 1);
        res = await send();
      }
    } catch (e) {
      // A body over MAX_BODY_BYTES (1 MiB) is answered 413 after reading at most 1 MiB more;
      // a client still sending past that may see the connection cut instead (docs/serving.md).
      if (plain.byteLength > 1 << 20) return counts.set('cut (over the limit)', (counts.get('cut (over the limit)') ?? 0) + 1);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return problems.push(`#${i} (${what}, ${auth.authorization ?? 'no key'}): ${e instanceof Error ? e.message : String(e)}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`);
    }
    const text = await res.text();
    const label = `#${i} ${res.status} (${what})`;
    counts.set(String(res.status), (counts.get(String(res.status)) ?? 0) + 1);
    if (res.status >= 500) return problems.push(`${label}: ${text.slice(0, 300)}`);
    let j: { error?: { code?: unknown; message?: unknown; path?: unknown } };
    try {
      j = JSON.parse(text);
    } catch {
      return problems.push(`${label}: not JSON: ${text.slice(0, 200)}`);
    }
    if (res.status === 200) {
      // Scored: the body (BOM stripped, as the worker's decoder does) must be the JSON it was scored from.
      let sent: unknown;
      try {
        sent = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
      } catch {
        return problems.push(`${label}: scored a body that is not UTF-8 JSON`);
      }
      const why = scoreContractViolation(j, sent as never, w.model.manifest.tasks);
      if (why) problems.push(`${label}: ${why}`);
      return;
    }
    const e = j.error;
    if (typeof e?.code !== 'string' || typeof e.message !== 'string' || typeof e.path !== 'string') return problems.push(`${label}: not an error body: ${text.slice(0, 200)}`);
    counts.set(e.code, (counts.get(e.code) ?? 0) + 1);
    if (FIELD_CODES.has(e.code) && e.path === '') problems.push(`${label}: ${e.code} without a path`);
    if (text.length > 2000) problems.push(`${label}: an error of ${text.length} bytes`);
  };
  // A few requests in flight at once, as clients send them.
  const inFlight = 8;
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < COUNT) await one(next++);
  }));
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
  return counts;
}

describe('fuzzed requests', () => {
  for (const worker of ['open', 'keyed']) {
    test(`${COUNT} requests to the worker ${worker === 'open' ? 'without' : 'with'} an API key: no 5xx, JSON errors with code and path, valid 200s`, async () => {
      const counts = await fuzz(worker, SEED + (worker === 'keyed' ? 1000 : 0));
      // The generator reaches the interesting answers (not only one kind of error).
      assert.ok((counts.get('200') ?? 0) > COUNT * 0.1, JSON.stringify([...counts]));
      for (const code of ['invalid_json', 'invalid_feature_value', 'unknown_field', 'unknown_feature']) assert.ok(counts.get(code), `${code} never produced: ${JSON.stringify([...counts])}`);
      if (worker === 'keyed') assert.ok(counts.get('401'), 'no 401');
      const fives = [...counts].filter(([s]) => /^5\d\d$/.test(s)).reduce((t, [, c]) => t + c, 0);
      console.log(`# fuzz ${worker}: ${COUNT} requests, ${fives} 5xx; ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
    });
  }
});
