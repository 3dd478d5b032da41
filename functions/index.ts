// Worker entry. The model comes from the module specifier `edge-mtl-model` (wrangler.toml
// [alias]; by default artifacts/default), parsed on the first request of an isolate; the
// ORT session is created lazily by the first request that needs it (see model.ts). Every
// answer comes from the app of the isolate's configuration (app.ts), including the 503 of an
// invalid configuration and the bench routes when BENCH_ROUTES is "1".

import bundle from 'edge-mtl-model';
import { appFactory } from './app.ts';
import type { Env } from './config.ts';
import { errorResponse } from './errors.ts';
import { ModelHost } from './model.ts';

let host: ModelHost | null = null;
let getApp: ReturnType<typeof appFactory> | null = null;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    try {
      host ??= new ModelHost(bundle);
      getApp ??= appFactory(host);
      return await getApp(env).fetch(request, env, ctx);
    } catch (e) {
      console.error('unhandled error outside the app', e);
      return errorResponse(500, 'internal_error', 'internal error');
    }
  },
} satisfies ExportedHandler<Env>;
