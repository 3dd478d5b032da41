// npm run export -- --model DIR [--scheme weight-only|dynamic] [--weights per-column|per-tensor]
// Writes DIR/model.onnx, DIR/model.int8.onnx and the worker's serving graph
// DIR/model.int8.optimized.onnx from DIR/manifest.json + DIR/weights.bin and records them in the
// manifest. Any failure: one line on stderr, exit code 1.

import { exportModelDir } from '../model/onnx/export-dir.ts';
import type { WeightGranularity } from '../model/onnx/quantize.ts';
import type { Int8Scheme } from '../model/onnx/export-options.ts';

const USAGE = 'usage: npm run export -- --model DIR [--scheme weight-only|dynamic] [--weights per-column|per-tensor]';

function parseArgs(argv: string[]): { model: string; scheme?: Int8Scheme; weights?: WeightGranularity } {
  const vals: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(model|scheme|weights)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument "${a}"; ${USAGE}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined || v === '') throw new Error(`--${m[1]} needs a value; ${USAGE}`);
    vals[m[1]] = v;
  }
  if (!vals.model) throw new Error(`--model is required; ${USAGE}`);
  if (vals.scheme && vals.scheme !== 'weight-only' && vals.scheme !== 'dynamic') throw new Error(`--scheme must be weight-only or dynamic, got "${vals.scheme}"`);
  if (vals.weights && vals.weights !== 'per-column' && vals.weights !== 'per-tensor') throw new Error(`--weights must be per-column or per-tensor, got "${vals.weights}"`);
  return { model: vals.model, scheme: vals.scheme as Int8Scheme | undefined, weights: vals.weights as WeightGranularity | undefined };
}

try {
  const args = parseArgs(process.argv.slice(2));
  const r = await exportModelDir(args.model, { scheme: args.scheme, weights: args.weights });
  for (const f of [r.onnx, r.int8, r.serving]) console.log(`wrote ${args.model}/${f.path}: ${f.bytes} bytes, ${f.quantization}, opset ${f.opset}, sha256 ${f.sha256}`);
  console.log(`int8 / fp32 size: ${(r.int8.bytes / r.onnx.bytes).toFixed(3)}; ${r.serving.path} is ${r.serving.optimizer} (what the worker serves); manifest files.onnx, files.int8 and files.serving updated`);
} catch (e) {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  process.stderr.write(`export: ${msg}\n`);
  process.exitCode = 1;
}
