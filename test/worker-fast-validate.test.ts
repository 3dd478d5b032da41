// functions/fast-validate.ts against the zod schema it mirrors (schemas.ts): random bodies
// from the fuzz generator (valid and mutated, fixed seed), for the default configuration and
// one with other limits and a price feature the model does not have. Whenever the fast check
// accepts a body, zod must accept it too and return an equal copy (validate.ts then uses the
// body itself); and the fast check must not refuse what zod accepts (it would only cost
// time, but the two are meant to agree). CI size; FAST_VALIDATE_COUNT raises it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfig, type Env } from '../functions/config.ts';
import { fastValidator } from '../functions/fast-validate.ts';
import { readManifest } from '../functions/model-info.ts';
import { buildSchemas } from '../functions/schemas.ts';
import { RequestFuzzer } from './helpers/worker-fuzz.ts';
import { testFeatures, testTasks, writeTestModel } from './helpers/worker-model.ts';

const COUNT = Number(process.env.FAST_VALIDATE_COUNT ?? 20_000);

// The worker's own reading of the test model's manifest.
const dir = mkdtempSync(join(tmpdir(), 'edge-mtl-fast-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = writeTestModel(dir);
const info = readManifest({ manifest: JSON.stringify(model.manifest), onnx: new ArrayBuffer(0), quantization: 'int8', source: dir });

describe('fast validator = zod on random bodies', () => {
  const configs: [string, Env][] = [
    ['defaults', {}],
    ['small limits, a price feature outside the model', { MAX_CANDIDATES: '10', MAX_ABS_ZSCORE: '5', PRICE_FEATURE: 'list_price', RANK_FORMULA: 'revenue' }],
  ];
  for (const [name, env] of configs) {
    test(`${name}: ${COUNT} bodies`, () => {
      const cfg = parseConfig(env, testTasks);
      const schemas = buildSchemas(info, cfg);
      const fast = fastValidator(info, cfg)!;
      const fz = new RequestFuzzer(name.length, testFeatures, testTasks, cfg.maxCandidates);
      let both = 0;
      let neither = 0;
      const disagree: string[] = [];
      for (let i = 0; i < COUNT; i++) {
        // Through JSON, as the worker sees bodies (no undefined, no -0).
        const body: unknown = JSON.parse(JSON.stringify(fz.nextBody()));
        const f = fast(body);
        const z = schemas.ScoreRequest.safeParse(body);
        if (f && z.success) {
          assert.deepEqual(z.data, body, `#${i}: zod changed an accepted body`);
          both++;
        } else if (!f && !z.success) neither++;
        else if (disagree.length < 5) disagree.push(`#${i} fast ${f} zod ${z.success}: ${JSON.stringify(body).slice(0, 300)}`);
        else disagree.push('');
      }
      assert.deepEqual(disagree, [], `${disagree.length} disagreements`);
      // Both outcomes well represented, or the comparison says little.
      assert.ok(both > COUNT * 0.2 && neither > COUNT * 0.2, `accepted ${both}, refused ${neither}`);
    });
  }
});
