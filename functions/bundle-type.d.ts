// For the type checker only: what `edge-mtl-model` (wrangler [alias]) resolves to.
import type { ModelBundle } from './bundle.ts';
declare const bundle: ModelBundle;
export default bundle;
