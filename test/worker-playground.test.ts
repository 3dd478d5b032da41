// The playground page inside workerd: off unless PLAYGROUND is "1" (then GET / and
// GET /playground serve it), a wrong value is a 503 naming the variable, the page is not behind
// the API key (it holds none) while /v1/model still is, and the numeric example values the page
// starts from are the training statistics in raw units. (The page itself running in a browser:
// browser-playground.test.ts.)

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { numericExamples, type PlaygroundBoot } from '../functions/playground.ts';
import { DEFAULT_KINDS } from '../model/features/kinds.ts';
import type { NumericFeature } from '../model/features/spec.ts';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';

let w: TestWorker;
let h: Harness;

before(async () => {
  w = await testWorker();
  h = await startWorkers(w.built, [
    { name: 'off' },
    { name: 'zero', bindings: { PLAYGROUND: '0' } },
    { name: 'on', bindings: { PLAYGROUND: '1' } },
    { name: 'auth', bindings: { PLAYGROUND: '1', API_KEY: 'sekret' } },
    { name: 'bad', bindings: { PLAYGROUND: 'yes' } },
  ]);
});
after(async () => {
  await h?.dispose();
});

function bootOf(html: string): PlaygroundBoot {
  const m = html.match(/<script type="application\/json" id="boot">([\s\S]*?)<\/script>/);
  assert.ok(m, 'boot JSON in the page');
  return JSON.parse(m[1]) as PlaygroundBoot;
}

test('off by default and with PLAYGROUND=0: / is the ordinary JSON 404', async () => {
  for (const name of ['off', 'zero']) {
    for (const path of ['/', '/playground']) {
      const res = await h.fetch(name, path);
      assert.equal(res.status, 404, `${name} ${path}`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
    }
  }
});

test('PLAYGROUND=1 serves the page at / and /playground, with example values from the manifest', async () => {
  for (const path of ['/', '/playground']) {
    const res = await h.fetch('on', path);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<title>edge-mtl playground<\/title>/);
    const boot = bootOf(html);
    assert.equal(boot.auth, false);
    // item_price: log1p, mean 3.2, std 1.1 -> expm1(3.2 - 0.88), expm1(3.2), expm1(3.2 + 0.88), 3 significant digits.
    assert.deepEqual(boot.examples.item_price, [9.18, 23.5, 58.1]);
    // item_rating: identity, mean 4.1, std 0.6 -> 3.62, 4.1, 4.58.
    assert.deepEqual(boot.examples.item_rating, [3.62, 4.1, 4.58]);
    assert.deepEqual(Object.keys(boot.examples).sort(), w.model.manifest.features.filter((f) => f.kind === 'numeric').map((f) => f.name).sort());
    // What the page falls back to when GET /v1/model lists no kinds (a worker from before them).
    assert.deepEqual(boot.defaultKinds, DEFAULT_KINDS);
  }
  // The API is unchanged next to it.
  assert.equal((await h.fetch('on', '/v1/model')).status, 200);
});

test('with an API key the page is served without one and asks for it; /v1/model still needs it', async () => {
  const res = await h.fetch('auth', '/');
  assert.equal(res.status, 200);
  assert.equal(bootOf(await res.text()).auth, true);
  assert.equal((await h.fetch('auth', '/v1/model')).status, 401);
  assert.equal((await h.fetch('auth', '/v1/model', { headers: { authorization: 'Bearer sekret' } })).status, 200);
});

test('a wrong PLAYGROUND value is a 503 config_error naming the variable', async () => {
  for (const path of ['/', '/v1/model']) {
    const res = await h.fetch('bad', path);
    assert.equal(res.status, 503);
    const j = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(j.error.code, 'config_error');
    assert.match(j.error.message, /PLAYGROUND/);
    assert.ok(!j.error.message.includes('yes'), `the value is never echoed: ${j.error.message}`);
  }
});

test('numericExamples: identity and log1p features at -0.8, 0, +0.8 standard deviations; log1p never below 0', () => {
  const f = (name: string, transform: 'identity' | 'log1p', mean: number, std: number): NumericFeature => ({ name, entity: 'item', kind: 'numeric', transform, mean, std });
  assert.deepEqual(numericExamples([f('a', 'identity', 10, 5), f('b', 'log1p', 0, 1), f('c', 'log1p', 0.1, 0)]), {
    a: [6, 10, 14],
    // expm1(-0.8) < 0 is clamped to 0; expm1(0.8) = 1.2255...
    b: [0, 0, 1.23],
    // std 0 counts as 1: expm1(0.1 - 0.8) < 0 -> 0, expm1(0.1) = 0.10517, expm1(0.9) = 1.4596.
    c: [0, 0.105, 1.46],
  });
});
