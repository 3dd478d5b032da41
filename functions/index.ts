// Worker entry. The model comes from the module specifier `edge-mtl-model` (wrangler.toml
// [alias]; by default artifacts/default), parsed on the first request of an isolate; the
// ORT session is created lazily by the first request that needs it (see model.ts), after
// onnxruntime itself was started in the global scope (ort.ts startRuntime). With the
// R2 binding MODELS, the model registry (registry.ts) serves the versions its routing
// document names, falling back to the bundled model. Every answer comes from the app of the
// isolate's configuration (app.ts), including the 503 of an invalid configuration, the bench
// routes when BENCH_ROUTES is "1" and the registry's per-request tick.

import bundle from 'edge-mtl-model';
import { appFactory } from './app.ts';
import type { Env } from './config.ts';
import { errorResponse } from './errors.ts';
import { ModelHost } from './model.ts';
import { Registry, type RegistryEnv } from './registry.ts';
import { startRuntime } from './ort.ts';

// onnxruntime-web starts while the isolate starts, not in its first request (ort.ts).
void startRuntime();

let host: ModelHost | null = null;
let getApp: ReturnType<typeof appFactory> | null = null;
// Model versions from R2 (binding MODELS; functions/registry.ts), when the binding exists.
let registry: Registry | null = null;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    try {
      host ??= new ModelHost(bundle);
      if ((env as RegistryEnv).MODELS) registry ??= new Registry(host);
      getApp ??= appFactory(host, registry);
      return await getApp(env).fetch(request, env, ctx);
    } catch (e) {
      console.error('unhandled error outside the app', e);
      return errorResponse(500, 'internal_error', 'internal error');
    }
  },
} satisfies ExportedHandler<Env>;
