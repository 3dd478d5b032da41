// The default model: artifacts/default, written by
//   npm run train -- --data synthetic --arch mmoe --out artifacts/default
// (`npm start` runs that when the files are missing). wrangler.toml aliases `edge-mtl-model`
// to this file; scripts/build-worker.ts --model DIR builds around another directory instead.

import manifest from '../../artifacts/default/manifest.json';
import onnx from '../../artifacts/default/model.int8.onnx';
import type { ModelBundle } from '../bundle.ts';

const bundle: ModelBundle = { manifest, onnx, quantization: 'int8', source: 'artifacts/default' };
export default bundle;
