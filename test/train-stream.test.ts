// A training split larger than its memory budget: written to chunk files once, streamed
// back in a seeded order. With a buffer that holds every chunk it trains the very weights of
// the in-memory split; with a smaller one it is deterministic for a seed and learns.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { referenceTask } from '../model/data/reference.ts';
import type { DataSource } from '../model/data/source.ts';
import { createKernels } from '../model/engine/kernels/index.ts';
import { serializeWeights } from '../model/engine/weights-file.ts';
import { evaluateGraph } from '../model/train/evaluate.ts';
import { prepare } from '../model/train/prepare.ts';
import { encodeEvalWithin, encodeWithin, isStreamed, removeChunks, type StreamedSplit, type TrainSplit } from '../model/train/row-store.ts';
import { train, type TrainOptions } from '../model/train/trainer.ts';
import { Rng } from '../model/engine/rng.ts';
import { allocBatch } from '../model/features/encode.ts';
import { trainRows } from '../model/train/rows.ts';

const cfg = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 8, expertDims: [16, 8], towerDims: [8], experts: 2 };
const source: DataSource = (() => {
  const s = referenceTask({ rows: 12_000, seed: 3 });
  return { ...s, features: s.features.map((f) => (f.kind === 'categorical' ? { ...f, buckets: 4096 } : f)) };
})();
const memory = prepare(source);
const T = memory.tasks.length;
const opts: TrainOptions = { arch: 'mmoe', cfg, epochs: 2, batchSize: 256, lr: 0.005, seed: 11, shards: 2, weighting: 'fixed', patience: 100, threads: 1 };

/** The training split in chunk files of 1,000 rows (the last one shorter), buffers of `bufferRows`. */
function streamed(bufferRows: number): StreamedSplit {
  const s = encodeWithin(memory.layout, T, source.examples('train'), new Map(), 0, 1000);
  assert.ok(isStreamed(s));
  return { ...s, bufferRows };
}

async function weightsOf(split: TrainSplit, o: Partial<TrainOptions> = {}) {
  const k = await createKernels('wasm-simd');
  const r = await train(k, { layout: memory.layout, tasks: memory.tasks, train: split, valid: memory.splits.valid }, { ...opts, ...o });
  return { bytes: serializeWeights(r.graph.params()), r };
}

test('the chunk files hold every row once, with the label counts of the in-memory split', () => {
  const s = streamed(3000);
  assert.equal(s.n, memory.splits.train.n);
  assert.equal(s.chunks.length, Math.ceil(s.n / 1000));
  assert.equal(s.chunks.reduce((a, c) => a + c.rows, 0), s.n);
  for (let t = 0; t < T; t++) {
    let pos = 0;
    let neg = 0;
    for (let i = t; i < memory.splits.train.labels.length; i += T) (memory.splits.train.labels[i] === 1 ? pos++ : memory.splits.train.labels[i] === 0 && neg++);
    assert.equal(s.positives[t], pos);
    assert.equal(s.negatives[t], neg);
  }
  removeChunks(s);
  assert.ok(!existsSync(s.dir));
  // Within the budget the split stays in memory, identical to the plain encoding.
  const kept = encodeWithin(memory.layout, T, source.examples('train'), new Map(), 1e12, 1000);
  assert.ok(!isStreamed(kept));
  assert.deepEqual(kept, memory.splits.train);
});

test('a buffer holding every chunk trains the weights of the in-memory split, byte for byte', async () => {
  const s = streamed(memory.splits.train.n);
  const a = await weightsOf(memory.splits.train);
  const b = await weightsOf(s);
  assert.deepEqual(a.bytes, b.bytes);
  removeChunks(s);
});

test('the in-memory order is the streamed order for the same chunks and window, so the memory budget never changes what is trained', () => {
  const s = streamed(3000);
  /** Two epochs of rows in training order, read in uneven batches (the labels and categorical columns). */
  const epochs = (rows: ReturnType<typeof trainRows>) => {
    const rng = new Rng(5);
    const out: number[][] = [];
    for (let e = 0; e < 2; e++) {
      rows.startEpoch(rng);
      const seen: number[] = [];
      for (let at = 0; at < rows.n; at += 777) {
        const to = Math.min(rows.n, at + 777);
        const b = allocBatch(memory.layout, to - at);
        const labels = new Float32Array((to - at) * T);
        rows.gather(at, to, b, labels);
        seen.push(...b.cat, ...labels);
      }
      out.push(seen);
    }
    return out;
  };
  const inMemory = epochs(trainRows(memory.splits.train, memory.layout, T, { chunkRows: 1000, windowRows: 3000 }));
  assert.deepEqual(epochs(trainRows(s, memory.layout, T)), inMemory);
  assert.notDeepEqual(inMemory[0], inMemory[1]);
  // A split within one window is one permutation of all rows: more windows give another order.
  assert.notDeepEqual(epochs(trainRows(memory.splits.train, memory.layout, T)), inMemory);
  removeChunks(s);
});

test('smaller buffers: deterministic for a seed, with 1 and 2 threads; another seed or buffer differs; it learns', async () => {
  const s = streamed(3000);
  const a = await weightsOf(s);
  const b = await weightsOf(s, { threads: 2 });
  const c = await weightsOf(s, { seed: 12 });
  const d = await weightsOf({ ...s, bufferRows: 5000 });
  const whole = await weightsOf(memory.splits.train);
  assert.deepEqual(a.bytes, b.bytes);
  assert.notDeepEqual(a.bytes, c.bytes);
  assert.notDeepEqual(a.bytes, d.bytes);
  assert.notDeepEqual(a.bytes, whole.bytes);
  // It learns as well as the in-memory order does (the same rows, another shuffle).
  const last = (r: typeof a) => r.r.history[r.r.history.length - 1].validAuc;
  last(a).forEach((auc, t) => {
    assert.ok(auc > 0.55, `task ${t}: valid AUC ${auc}`);
    assert.ok(Math.abs(auc - last(whole)[t]) < 0.03, `task ${t}: streamed ${auc} vs in memory ${last(whole)[t]}`);
  });
  removeChunks(s);
});

test('validation and test past the budget: inputs read from chunk files, the very same metrics and validation AUC', async () => {
  const groups = new Map<string, number>();
  const onDisk = (split: 'valid' | 'test') => encodeEvalWithin(memory.layout, T, source.examples(split), groups, 0, 500);
  // The group ids must follow the in-memory ones: assign them in the same order (train first).
  encodeWithin(memory.layout, T, source.examples('train'), groups, 1e12);
  const valid = onDisk('valid');
  const test = onDisk('test');
  assert.ok(valid.inputsOnDisk && valid.inputsOnDisk.chunks.length > 1 && valid.batch.cat.length === 0);
  assert.deepEqual(valid.labels, memory.splits.valid.labels);
  assert.deepEqual(test.group, memory.splits.test.group);
  const k = await createKernels('wasm-simd');
  const r = await train(k, { layout: memory.layout, tasks: memory.tasks, train: memory.splits.train, valid }, { ...opts, epochs: 1 });
  const inMemory = await weightsOf(memory.splits.train, { epochs: 1 });
  assert.deepEqual(r.history.map((h) => h.validAuc), inMemory.r.history.map((h) => h.validAuc));
  const a = evaluateGraph(k, r.graph, memory.layout, memory.tasks, valid, test);
  const b = evaluateGraph(k, r.graph, memory.layout, memory.tasks, memory.splits.valid, memory.splits.test);
  assert.deepEqual(a.pTest, b.pTest);
  assert.deepEqual(a.metrics, b.metrics);
});
