// onnxruntime-web starts in the worker's global scope (functions/ort.ts startRuntime), on a
// one-node model kept as bytes (functions/runtime-warmup-model.ts). Checked: the bytes are the
// Identity graph as the ONNX writer's schema encodes it and run in onnxruntime; in workerd the
// runtime is up before the first request, which then creates its model's session without
// instantiating the wasm again, and scores as usual.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runtimeWarmupModel } from '../functions/runtime-warmup-model.ts';
import { onnx, DataType } from '../model/onnx/proto.ts';
import { loadOrt } from '../model/onnx/run.ts';
import { startWorkers, testWorker, type Harness } from './helpers/worker-harness.ts';

const KEY = 'k-runtime-start';
const AUTH = { authorization: `Bearer ${KEY}` };
let h: Harness;

before(async () => {
  const w = await testWorker();
  h = await startWorkers(w.built, [{ name: 'bench', bindings: { BENCH_ROUTES: '1', API_KEY: KEY } }]);
});

after(async () => {
  await h?.dispose();
});

describe('the warm-up model', () => {
  test('is y = Identity(x) on one float, opset 13, byte for byte', () => {
    const value = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
    const expected = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'w', node: [{ input: ['x'], output: ['y'], opType: 'Identity' }], input: [value('x')], output: [value('y')] },
    }).finish();
    assert.deepEqual(runtimeWarmupModel(), new Uint8Array(expected));
  });

  for (const runtime of ['node', 'web'] as const) {
    test(`runs in onnxruntime-${runtime} and returns its input`, async () => {
      const ort = await loadOrt(runtime);
      const s = await ort.InferenceSession.create(runtimeWarmupModel());
      const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(-2.25), [1]) });
      assert.deepEqual([...(out.y.data as Float32Array)], [-2.25]);
      await s.release();
    });
  }
});

describe('in workerd', () => {
  test('onnxruntime is started before the first request; the first request loads the model without instantiating the wasm', async () => {
    const load = async () => (await (await h.fetch('bench', '/__bench/load', { headers: AUTH })).json()) as { ready: boolean; timings: { runtimeStarted: boolean; wasmMs: number; sessionMs: number } | null };
    const before = await load();
    assert.equal(before.ready, false, 'no request has needed the model yet');
    assert.equal(before.timings, null);
    const res = await h.score('bench', { items: [{ id: 'i1' }, { id: 'i2' }] }, AUTH);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal((JSON.parse(text) as { items: unknown[] }).items.length, 2);
    const after = await load();
    assert.equal(after.ready, true);
    assert.ok(after.timings, 'load timings after the first scored request');
    assert.equal(after.timings.runtimeStarted, true, 'startRuntime had finished before the session was created');
    assert.equal(after.timings.wasmMs, 0, 'the wasm was instantiated in the global scope, not in this load');
    assert.ok(!h.logs.some((l) => l.includes('did not start in the global scope')), h.logs.join('\n'));
  });
});
