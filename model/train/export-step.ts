// The end of a training run: export fp32 + int8 ONNX (and the int8 serving graph), then score the test split with the
// int8 model in onnxruntime-node, so that metrics.json can show what quantization cost
// (int8.<task>.*).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auc, column, logloss } from '../metrics/index.ts';
import { exportModelDir } from '../onnx/export-dir.ts';
import { runOnnx } from '../onnx/run.ts';
import type { PreparedData } from './prepare.ts';
import type { RunResult } from './train-to-dir.ts';

export interface ExportMetrics {
  int8: Record<string, { auc: number; logloss: number; auc_drop: number }>;
  files: { onnx_bytes: number; int8_bytes: number; int8_ratio: number };
}

export async function exportAndEvaluate(r: RunResult, data: PreparedData): Promise<ExportMetrics> {
  const files = await exportModelDir(r.dir);
  const test = data.splits.test;
  const probs = await runOnnx(readFileSync(join(r.dir, files.int8.path)), data.layout, test.batch, { runtime: 'node' });
  const T = data.tasks.length;
  const int8: ExportMetrics['int8'] = {};
  data.tasks.forEach((task, t) => {
    const labels = column(test.labels, T, t);
    const a = auc(probs[task.name], labels);
    int8[task.name] = { auc: a, logloss: logloss(probs[task.name], labels), auc_drop: r.metrics[task.name].test.auc - a };
  });
  const drops = data.tasks.map((t) => `${t.name} ${int8[t.name].auc_drop >= 0 ? '-' : '+'}${Math.abs(int8[t.name].auc_drop).toFixed(4)}`).join(', ');
  process.stderr.write(`exported ${files.onnx.path} (${(files.onnx.bytes / 1e6).toFixed(1)} MB), ${files.int8.path} (${(files.int8.bytes / 1e6).toFixed(1)} MB) and the worker's ${files.serving.path} (${(files.serving.bytes / 1e6).toFixed(1)} MB, ${files.serving.optimizer}); int8 test AUC change: ${drops}\n`);
  return { int8, files: { onnx_bytes: files.onnx.bytes, int8_bytes: files.int8.bytes, int8_ratio: files.int8.bytes / files.onnx.bytes } };
}
