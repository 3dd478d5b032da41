// What the build links in under the module specifier `edge-mtl-model` (wrangler.toml
// [alias]; scripts/build-worker.ts points it at another model directory).

export interface ModelBundle {
  /** manifest.json: its text (wrangler Text rule for manifest.json) or an already parsed object. */
  manifest: unknown;
  /** The ONNX file (wrangler Data rule for *.onnx). */
  onnx: ArrayBuffer;
  /** Which export of the manifest this is: int8 (files.serving, or files.int8 for models exported without it; model/manifest.ts servedFile) or fp32 (files.onnx). */
  quantization: 'int8' | 'fp32';
  /** Where the model came from, for logs and GET /v1/model. */
  source: string;
}
