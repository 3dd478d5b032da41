// The HTTP API (Hono + @hono/zod-openapi). See docs/serving.md for the contract.

import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { feedsOf } from '../model/onnx/inputs.ts';
import { MAX_RANK_WEIGHT, rank, rankSettings } from '../model/serving/rank.ts';
import { bearerAuth } from './auth.ts';
import { registerBenchRoutes } from './bench.ts';
import { drainUnread, readJsonBody } from './body.ts';
import { ConfigError, configKey, guardOf, parseConfig, type Config, type Env } from './config.ts';
import { ApiError, clip, errorBody } from './errors.ts';
import { ModelUnavailable, type ModelHost, type ModelInfo } from './model.ts';
import { clientFeatures } from './model-description.ts';
import { registerPlayground } from './playground.ts';
import type { Registry, RegistryEnv } from './registry.ts';
import { buildSchemas, type Schemas } from './schemas.ts';
import { candidatesOf, encode, ortTensor, probabilities } from './score.ts';
import { shadowScore } from './shadow.ts';
import { userFeaturesFromKv, type UserFeatures } from './user-features.ts';
import { validateRequest } from './validate.ts';

type AppEnv = { Bindings: Env };

const JSON_ERROR = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });

function errorResponse(c: Context, e: ApiError): Response {
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json(e.body(), e.status);
}

/** The 200 answer of /v1/score: the JSON body (c.json: JSON.stringify + Response). */
function scoreResponse(c: Context, body: { model: { version: string; quantization: string }; rank: unknown } & Record<string, unknown>): Response {
  return c.json(body);
}

/** user.id of a body not validated yet (routing only: validation reports a bad one). */
function userIdOf(body: unknown): string | undefined {
  const id = (body as { user?: { id?: unknown } } | null)?.user?.id;
  return typeof id === 'string' ? id : undefined;
}

function unavailable(reason: string): ApiError {
  return new ApiError(503, 'model_unavailable', reason);
}

/**
 * A Hono app with the API's error handling (every error a JSON error body, a 500 only for a
 * bug, logged) and, when origins are given, CORS on every response including errors.
 */
function baseApp(corsOrigins: string[] | null): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(async (err, c) => {
    await drainUnread(c.req.raw);
    if (err instanceof ApiError) return errorResponse(c, err);
    if (err instanceof ModelUnavailable) return errorResponse(c, unavailable(err.message));
    console.error('unhandled error', err instanceof Error ? (err.stack ?? err.message) : err);
    return c.json(errorBody('internal_error', 'internal error'), 500);
  });
  app.notFound(async (c) => {
    await drainUnread(c.req.raw);
    return c.json(errorBody('not_found', `no route for ${clip(c.req.method)} ${clip(new URL(c.req.url).pathname)}`), 404);
  });
  if (corsOrigins) {
    app.use(
      '*',
      cors({
        origin: corsOrigins.includes('*') ? '*' : corsOrigins,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'Authorization', 'Content-Encoding'],
        exposeHeaders: ['Server-Timing', 'X-User-Features', 'X-Model-Version'],
        maxAge: 600,
      }),
    );
  }
  return app;
}

/** The API for one model and one configuration (built once per isolate and config). */
export function createApp(host: ModelHost, cfg: Config, registry: Registry | null = null): OpenAPIHono<AppEnv> {
  const info = host.info;
  const schemas = buildSchemas(info, cfg);
  const app = baseApp(cfg.corsOrigins);
  const modelInfo = (h: ModelHost = host): ModelInfo => {
    if (!h.info) throw unavailable(h.manifestError ?? 'no manifest');
    return h.info;
  };
  // With a registry, each request is scored by the version its user is routed to, validated
  // against that version's manifest (schemas built once per version and configuration).
  const views = new WeakMap<ModelHost, { info: ModelInfo | null; schemas: Schemas }>([[host, { info, schemas }]]);
  const viewOf = (h: ModelHost) => {
    let v = views.get(h);
    if (!v) views.set(h, (v = { info: h.info, schemas: buildSchemas(h.info, cfg) }));
    return v;
  };

  // Every request (answered or refused) lets the registry start, in the background, the
  // routing read that is due (every MODEL_ROUTING_TTL seconds) and the retries whose backoff
  // has passed; it never waits for them.
  if (registry) {
    app.use('*', async (c, next) => {
      registry.tick(c.env as RegistryEnv, c.executionCtx, cfg.modelRoutingTtl);
      await next();
    });
  }

  if (cfg.apiKey !== null) {
    app.use('/v1/*', bearerAuth(cfg.apiKey));
    if (cfg.benchRoutes) app.use('/__bench/*', bearerAuth(cfg.apiKey));
  }
  if (cfg.benchRoutes) registerBenchRoutes(app, host, cfg, schemas, modelInfo);

  const security = cfg.apiKey !== null ? [{ bearer: [] as string[] }] : undefined;
  const commonErrors = {
    400: JSON_ERROR('Malformed request (the error names the field)', schemas.Error),
    401: JSON_ERROR('Missing or wrong API key (only when API_KEY is set)', schemas.Error),
    413: JSON_ERROR(`Body larger than ${cfg.maxBodyBytes} bytes`, schemas.Error),
    415: JSON_ERROR('Content-Type is not application/json, or Content-Encoding is not identity, gzip or deflate', schemas.Error),
    503: JSON_ERROR('The model could not be loaded (the reason is in the message)', schemas.Error),
  };

  const scoreRoute = createRoute({
    method: 'post',
    path: '/v1/score',
    summary: 'Score and rank the candidates of every kind (items, coupons, ads, ...) for a user in one inference call',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: schemas.ScoreRequest } } } },
    responses: {
      200: {
        description: 'Ranked candidates with per-task probabilities',
        headers: {
          'Server-Timing': { schema: { type: 'string' }, description: 'parse, kv, features, inference, total (ms)' },
          'X-User-Features': { schema: { type: 'string' }, description: 'request | kv-hit | kv-miss | kv-error | no-kv | none' },
        },
        content: { 'application/json': { schema: schemas.ScoreResponse } },
      },
      ...commonErrors,
    },
  });
  // Documented from the same schema the handler validates with; the handler reads the body
  // itself (size limits, 415/413/400 policy) instead of the library's JSON validator.
  app.openAPIRegistry.registerPath(scoreRoute);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });

  // Named functions (scoreHandler, scoreResponse): CPU profiles attribute by function name
  // (scripts/profile-worker.ts).
  app.post('/v1/score', async function scoreHandler(c) {
    const t0 = performance.now();
    const body = await readJsonBody(c.req.raw, cfg.maxBodyBytes);
    const live = registry ? registry.pick(userIdOf(body)) : host;
    const info = modelInfo(live);
    const { schemas } = viewOf(live);
    const req = validateRequest(body, schemas, info, cfg);
    const settings = rankSettings(info.tasks, cfg, req.rank);
    const candidates = candidatesOf(info, req);
    // Start (or join) the model load while user features are fetched.
    const sessionP = live.getSession();
    sessionP.catch(() => undefined);
    const t1 = performance.now();

    let user: UserFeatures;
    let tKv = 0;
    if (req.user?.features) user = { features: req.user.features, source: 'request' };
    else if (req.user?.id !== undefined) {
      const k0 = performance.now();
      user = await userFeaturesFromKv(c.env.USER_FEATURES, req.user.id, schemas.userFeatureValue, cfg.kvCacheTtl);
      tKv = performance.now() - k0;
      if (user.source === 'kv-error') console.warn(`user features for ${JSON.stringify(req.user.id.slice(0, 64))}: ${user.reason}`);
    } else user = { features: undefined, source: 'none' };
    const t2 = performance.now();
    const batch = encode(info, req, user.features, candidates);
    const feeds = feedsOf(info.layout, batch, ortTensor);
    const t3 = performance.now();

    const session = await sessionP;
    const t4 = performance.now();
    const outputs = await live.run(session, feeds);
    const probs = probabilities(info, outputs, batch.n);
    const lists = rank(info.kinds, info.tasksOf, cfg, settings, candidates, probs, req.top_k);
    const t5 = performance.now();

    const ms = (x: number) => Math.max(0, x).toFixed(2);
    const timing = [`parse;dur=${ms(t1 - t0)}`];
    if (user.source.startsWith('kv')) timing.push(`kv;dur=${ms(tKv)}`);
    timing.push(`features;dur=${ms(t3 - t2)}`);
    if (t4 - t3 > 0.5) timing.push(`load;dur=${ms(t4 - t3)}`);
    timing.push(`inference;dur=${ms(t5 - t4)}`, `total;dur=${ms(t5 - t0)}`);
    c.header('Server-Timing', timing.join(', '));
    c.header('X-User-Features', user.source);
    c.header('X-Model-Version', info.manifest.version);
    c.header('Cache-Control', 'no-store');
    const shadow = registry?.shadowFor(live);
    if (shadow?.info) c.executionCtx.waitUntil(shadowScore({ body, userFeatures: user.features, live: { info, probs }, shadow: { host: shadow, ...viewOf(shadow), info: shadow.info }, cfg }));
    return scoreResponse(c, {
      model: { version: info.manifest.version, quantization: info.quantization },
      rank: settings,
      ...lists,
    });
  });
  app.all('/v1/score', () => {
    throw new ApiError(405, 'method_not_allowed', 'use POST', '', { Allow: 'POST' });
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/model',
      summary: 'The served model: version, tasks, features, test metrics, ranking defaults',
      security,
      responses: { 200: { description: 'Model description', content: { 'application/json': { schema: schemas.ModelResponse } } }, 401: commonErrors[401], 503: commonErrors[503] },
    }),
    (c) => {
      const info = modelInfo(registry?.mainHost());
      const m = info.manifest;
      const weights = rankSettings(info.tasks, cfg).weights;
      return c.json(
        {
          version: m.version,
          quantization: info.quantization,
          quantizationScheme: info.scheme,
          file: info.served ? { path: info.served.record.path, sha256: info.served.record.sha256, bytes: info.served.record.bytes, optimizer: info.served.key === 'serving' ? info.served.record.optimizer : null } : null,
          architecture: m.architecture.name,
          createdAt: m.createdAt,
          kinds: info.kinds.map((k) => ({ name: k.name, field: k.field, tasks: info.tasksOf[k.name].map((t) => t.name), ...(k.value ? { value: k.value } : {}) })),
          tasks: info.tasks.map((t) => ({ name: t.name, appliesTo: t.appliesTo, ...(t.parent ? { parent: t.parent } : {}) })),
          features: clientFeatures(m.features, cfg.maxAbsZ),
          metrics: m.metrics ?? {},
          ranking: { formula: cfg.rankFormula, weights, priceFeature: cfg.priceFeature, revenueTask: cfg.revenueTask },
          limits: { maxCandidates: cfg.maxCandidates, maxBodyBytes: cfg.maxBodyBytes, maxAbsZScore: cfg.maxAbsZ, maxRankWeight: MAX_RANK_WEIGHT },
          ...(registry ? { registry: registry.status() } : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Readiness: 200 once the model is loaded (loads it if needed), 503 with the reason otherwise',
      responses: {
        200: { description: 'Model loaded', content: { 'application/json': { schema: schemas.Health } } },
        503: { description: 'Model unavailable', content: { 'application/json': { schema: schemas.Health } } },
      },
    }),
    async (c) => {
      const main = registry?.mainHost() ?? host;
      const versions = registry ? { registry: registry.status() } : {};
      try {
        await main.getSession();
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return c.json({ status: 'unavailable' as const, ...errorBody('model_unavailable', message), ...versions }, 503);
      }
      return c.json({ status: 'ok' as const, version: main.info?.manifest.version, ...versions }, 200);
    },
  );

  if (cfg.playground) registerPlayground(app, info, cfg);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'edge-mtl scoring API',
      version: info?.manifest.version ?? 'unknown',
      description: 'Multi-task recommender served at the edge; see docs/serving.md.',
    },
  });
  return app;
}

/**
 * The answer of a worker whose configuration is invalid: 503 config_error naming the vars
 * (never their values) on every route, after the API key check when API_KEY itself is valid
 * (so only a client holding the key learns which var is wrong), with CORS headers when
 * CORS_ORIGINS is valid. /healthz answers the same 503 without a key: the worker is not ready.
 */
export function configErrorApp(err: ConfigError, env: Env): OpenAPIHono<AppEnv> {
  const guard = guardOf(env);
  const app = baseApp(guard.corsOrigins);
  const message = `invalid configuration: ${err.message}`;
  app.get('/healthz', (c) => c.json({ status: 'unavailable' as const, ...errorBody('config_error', message) }, 503));
  if (guard.apiKey !== null) app.use('*', bearerAuth(guard.apiKey));
  app.all('*', () => {
    throw new ApiError(503, 'config_error', message);
  });
  return app;
}

/**
 * Per-isolate cache: one app per configuration (vars rarely change within an isolate). The
 * answer is also remembered per `env` object (workerd passes the same one to every request of
 * an isolate), so the vars are not parsed again on every request. RANK_WEIGHTS and
 * REVENUE_TASK are checked against the model's tasks.
 */
export function appFactory(host: ModelHost, registry: Registry | null = null) {
  const apps = new Map<string, OpenAPIHono<AppEnv>>();
  const byEnv = new WeakMap<Env, OpenAPIHono<AppEnv>>();
  return (env: Env): OpenAPIHono<AppEnv> => {
    const known = byEnv.get(env);
    if (known) return known;
    let app: OpenAPIHono<AppEnv> | undefined;
    try {
      const cfg = parseConfig(env, host.info?.tasks ?? null);
      const key = configKey(cfg);
      app = apps.get(key);
      if (!app) apps.set(key, (app = createApp(host, cfg, registry)));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // Once per isolate and env: an operator's mistake, logged where the operator looks.
      console.error(`configuration error: ${e.message}`);
      app = configErrorApp(e, env);
    }
    byEnv.set(env, app);
    return app;
  };
}
