// The default model: artifacts/default, written by
//   npm run train -- --data synthetic --arch mmoe --out artifacts/default
// (`npm start` runs that when the files are missing). Its int8 serving graph (the int8 model as
// onnxruntime optimised it at export: model/onnx/optimize.ts) is what an int8 bundle serves.
// wrangler.toml aliases `edge-mtl-model` to this file; scripts/build-worker.ts --model DIR
// builds around another directory instead (and around this one when it was exported without a
// serving graph).

import manifest from '../../artifacts/default/manifest.json';
import onnx from '../../artifacts/default/model.int8.optimized.onnx';
import type { ModelBundle } from '../bundle.ts';

const bundle: ModelBundle = { manifest, onnx, quantization: 'int8', source: 'artifacts/default' };
export default bundle;
