// Worker entry. The model comes from the module specifier `edge-mtl-model` (wrangler.toml
// [alias]; by default artifacts/default), parsed on the first request of an isolate; the
// ORT session is created lazily by the first request that needs it (see model.ts).

import bundle from 'edge-mtl-model';
import { appFactory } from './app.ts';
import type { Env } from './config.ts';
import { ModelHost } from './model.ts';

let getApp: ReturnType<typeof appFactory> | null = null;

function configError(message: string): Response {
  return new Response(JSON.stringify({ error: { code: 'config_error', message, path: '' } }), {
    status: 503,
    headers: { 'content-type': 'application/json' },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    try {
      getApp ??= appFactory(new ModelHost(bundle));
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
