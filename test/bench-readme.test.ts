// The README's Performance section from benchmark JSON (scripts/bench/readme.ts): training
// figures taken from a separate full run replace the quick run's and are named as such.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderSection, replaceSection, START, END, withTrainingFrom } from '../scripts/bench/readme.ts';
import { blasWarning, classifyBlas } from '../scripts/bench/train.ts';

const machine = { cpus: 2, model: 'Test CPU', memGiB: 8, node: 'v20.0.0', load: 0.1 };
const quick = {
  machine,
  quick: true,
  date: '2026-12-03T10:00:00Z',
  'train.reference.samples_per_sec': 50_000,
  'train.reference.samples_per_sec_1t': 30_000,
  'train.weighting': { fixed: 1 },
  'bundle.raw_bytes': 3 * 2 ** 20,
  'bundle.gzip_bytes': 2 ** 20,
};
const full = {
  machine: { ...machine, load: 1.5 },
  quick: false,
  date: '2026-12-03T09:00:00Z',
  'train.reference.samples_per_sec': 128_035,
  'train.reference.samples_per_sec_1t': 82_399,
  'train.reference.torch_samples_per_sec_1t': 68_202,
  'train.reference.torch_samples_per_sec_2t': 22_836,
  'train.reference.vs_torch_1t': 1.21,
  'train.reference.vs_torch_best': 1.88,
  'train.synthetic.samples_per_sec': 30_314,
  'train.streamed.peak_rss_bytes_1000000': 366 * 2 ** 20,
  'train.streamed.peak_rss_bytes_10000000': 452 * 2 ** 20,
  'train.detail': { rounds: 3 },
  'bench.seconds': 510,
};

test('the training figures of a full run replace the quick ones, the rest stays, and the section says where they come from', () => {
  const merged = withTrainingFrom(quick, full);
  assert.equal(merged['train.reference.samples_per_sec'], 128_035);
  assert.equal(merged['train.reference.samples_per_sec_1t'], 82_399);
  assert.deepEqual(merged['train.weighting'], { fixed: 1 }, 'the quick run keeps its weighting figures (the training run has none)');
  assert.equal(merged['bundle.raw_bytes'], quick['bundle.raw_bytes']);
  assert.equal(merged['bench.seconds'], undefined, "the training run's other keys stay out");
  const md = renderSection(merged);
  assert.match(md, /\*\*--quick\*\*/, 'the run itself was quick');
  assert.match(md, /from a separate `npm run bench -- --only train` run on 2026-12-03, median of 3 alternated rounds, 2 × Test CPU, 8 GiB, Node v20\.0\.0, load average 1\.50 at start/);
  assert.match(md, /\| 1 \| 82,399 \| 68,202 \|/);
  assert.match(md, /\| 2 \| 128,035 \| 22,836 \|/);
  assert.match(md, /1\.2× per thread; 2 threads vs PyTorch's best CPU figure 1\.9×/);
  assert.match(md, /synthetic shop.s default model .*2 threads: 30,314 samples\/s/);
  assert.match(md, /366\.00 MiB at 1,000,000 rows, 452\.00 MiB at 10,000,000 rows \(1\.23×\)/);
  // Without a separate run: no source named.
  assert.doesNotMatch(renderSection(quick), /separate/);
  assert.throws(() => withTrainingFrom(quick, { date: 'x', 'bench.seconds': 3 }), /no train\.reference figures/);
});

test('the section goes between the markers, and nowhere without them', () => {
  const readme = `# T\n\n${START}\nold\n${END}\n\nafter\n`;
  assert.equal(replaceSection(readme, 'new'), `# T\n\n${START}\nnew\n${END}\n\nafter\n`);
  assert.equal(replaceSection('# T\n', 'new'), null);
});

test('cold start: the session figures, and the process CPU up to ready and in the first request when the run measured it', () => {
  const cold = { ...quick, 'cold_start.p50_ms': 1282, 'cold_start.runs': 5, 'cold_start.first_request_p50_ms': 240, 'cold_start.session_create_ms': 150, 'cold_start.wasm_instantiate_ms': 0, 'cold_start.warmup_run_ms': 46 };
  const without = renderSection(cold);
  assert.match(without, /\*\*Cold start\*\* .*median of 5\): 1282 ms, of which the isolate's first request 240 ms \(creating the session 150 ms/);
  assert.doesNotMatch(without, /process CPU/);
  const md = renderSection({ ...cold, 'cold_start.ready_cpu_ms': 490, 'cold_start.first_request_cpu_ms': 430, 'cold_start.runtime_started_at_startup': true });
  assert.match(md, /process CPU \(every thread\): 490 ms up to ready \(its own start and the global scope, where onnxruntime starts\), 430 ms in the first request\./);
  const lazy = renderSection({ ...cold, 'cold_start.ready_cpu_ms': 200, 'cold_start.first_request_cpu_ms': 750, 'cold_start.runtime_started_at_startup': false });
  assert.match(lazy, /200 ms up to ready, 750 ms in the first request\./);
});

test("PyTorch's BLAS: named in the table, and a reference BLAS is called out as not a fair reference", () => {
  const openblas = renderSection({ ...full, 'train.reference.torch_blas': 'OpenBLAS' });
  assert.match(openblas, /PyTorch 1\.13 SparseAdam, OpenBLAS \(same rows, alternated\)/);
  assert.doesNotMatch(openblas, /Not a fair reference/);
  const warning = blasWarning(classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0']))!;
  const netlib = renderSection({ ...full, 'train.reference.torch_blas': 'reference BLAS (netlib)', 'train.reference.torch_blas_warning': warning });
  assert.match(netlib, /\*\*Not a fair reference:\*\* PyTorch ran on netlib's reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\), 4-5x slower than OpenBLAS.*apt-get install libopenblas0-pthread.*update-alternatives --auto libblas\.so\.3-x86_64-linux-gnu\)\./);
});

test('which BLAS a torch process mapped', () => {
  assert.deepEqual(classifyBlas(['/usr/lib/x86_64-linux-gnu/libdnnl.so.3.0', '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3']), { library: 'OpenBLAS', path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', optimized: true });
  assert.equal(classifyBlas(['/opt/intel/lib/libmkl_rt.so.2']).library, 'MKL');
  assert.equal(classifyBlas(['/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3']).library, 'BLIS');
  const ref = classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', '/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0']);
  assert.deepEqual(ref, { library: 'reference BLAS (netlib)', path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', optimized: false });
  assert.match(blasWarning(ref)!, /apt-get install libopenblas0-pthread/);
  // libblas on netlib, LAPACK on OpenBLAS (both mapped): torch's sgemm is netlib's.
  const mixed = classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', '/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3', '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0']);
  assert.equal(mixed.library, 'reference BLAS (netlib)');
  assert.equal(mixed.optimized, false);
  assert.equal(blasWarning(classifyBlas([])), null, 'no BLAS mapped: torch brings its own');
});
