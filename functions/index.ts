// Worker entry. The model comes from the module specifier `edge-mtl-model` (wrangler.toml
// [alias]; by default artifacts/default), parsed on the first request of an isolate; the
// ORT session is created lazily by the first request that needs it (see model.ts).

import bundle from 'edge-mtl-model';
import { appFactory } from './app.ts';
import { benchEnabled, benchRoute, type BenchEnv } from './bench.ts';
import type { Env } from './config.ts';
import { ModelHost } from './model.ts';
import { Registry, type RegistryEnv } from './registry.ts';
import { ConfigError } from './config.ts';

let host: ModelHost | null = null;
let getApp: ReturnType<typeof appFactory> | null = null;
// Model versions from R2 (binding MODELS; functions/registry.ts), when the binding exists.
let registry: Registry | null = null;

function configError(message: string): Response {
  return new Response(JSON.stringify({ error: { code: 'config_error', message, path: '' } }), {
    status: 503,
    headers: { 'content-type': 'application/json' },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    try {
      host ??= new ModelHost(bundle);
      if ((env as RegistryEnv).MODELS) registry ??= new Registry(host);
      getApp ??= appFactory(host, registry);
      try {
        registry?.tick(env as RegistryEnv, ctx);
      } catch (e) {
        if (e instanceof ConfigError) return configError(e.message);
        throw e;
      }
      // Bench-only routes (scripts/bench.ts): off unless the var BENCH_ROUTES is "1".
      if (benchEnabled(env as BenchEnv)) {
        const r = await benchRoute(request, host, env as BenchEnv, (req) => {
          const a = getApp!(env);
          return 'error' in a ? Promise.resolve(configError(a.error)) : Promise.resolve(a.app.fetch(req, env, ctx));
        });
        if (r) return r;
      }
      const r = getApp(env);
      if ('error' in r) return configError(r.error);
      return await r.app.fetch(request, env, ctx);
    } catch (e) {
      console.error('unhandled error outside the app', e);
      return new Response(JSON.stringify({ error: { code: 'internal_error', message: 'internal error', path: '' } }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    }
  },
} satisfies ExportedHandler<Env>;
