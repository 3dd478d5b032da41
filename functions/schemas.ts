// Zod schemas of the API, built from the bundled manifest (feature and task names are the
// model's) and the config (limits). The same objects validate requests and generate
// GET /openapi.json; fast-validate.ts mirrors the request rules for the common case of a
// valid body (a change to a rule here needs the same change there). Per-field policy (see
// docs/serving.md):
//  - categorical: string (<= 1024 chars) | finite number | boolean | null
//  - multi: array (<= 1000) of strings / finite numbers, or one string split on the
//    feature's separator, or null
//  - numeric: finite number | numeric string (decimal notation, e.g. "12.5") | boolean | null,
//    and |(t(x) - mean) / std| <= MAX_ABS_ZSCORE: a value hundreds of standard deviations
//    from the training data is an error, not a score (with int8 dynamic quantization one
//    extreme row would also distort every other row of the batch)
//  - unknown feature names, and features given on the wrong object, are rejected.

import { z } from '@hono/zod-openapi';
import { DEFAULT_KINDS, type KindSpec } from '../model/features/kinds.ts';
import type { Entity, FeatureSpec, MultiFeature, NumericFeature } from '../model/features/spec.ts';
import { MAX_RANK_WEIGHT } from '../model/serving/rank.ts';
import type { Config } from './config.ts';
import type { ModelInfo } from './model-info.ts';
import { isClientInput } from '../model/features/match.ts';

export const MAX_STRING = 1024;
export const MAX_MULTI_VALUES = 1000;
export const MAX_ID = 512;
export const MAX_USER_ID = 1024;
export const NUMERIC_STRING = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

const nonFinite = (input: unknown) => typeof input === 'number' && !Number.isFinite(input);

function categoricalValue(spec: FeatureSpec) {
  return z
    .union([z.string().max(MAX_STRING), z.number(), z.boolean(), z.null()], {
      error: (iss) =>
        nonFinite(iss.input)
          ? 'numbers must be finite'
          : typeof iss.input === 'string'
            ? `string longer than ${MAX_STRING} characters`
            : 'expected a string, number, boolean or null',
    })
    .openapi({ description: `${spec.entity} feature, categorical` });
}

function multiValue(spec: MultiFeature) {
  const element = z.union([z.string().max(MAX_STRING), z.number()], {
    error: (iss) => (nonFinite(iss.input) ? 'numbers must be finite' : `expected a string (<= ${MAX_STRING} characters) or number`),
  });
  return z
    .union([z.array(element).max(MAX_MULTI_VALUES), z.string().max(MAX_STRING * 16), z.null()], {
      error: (iss) =>
        Array.isArray(iss.input) && iss.input.length > MAX_MULTI_VALUES
          ? `more than ${MAX_MULTI_VALUES} values`
          : typeof iss.input === 'string'
            ? 'string too long'
            : `expected an array of strings/numbers, a "${spec.separator}"-separated string, or null`,
    })
    .openapi({ description: `${spec.entity} feature, multi-valued (at most ${spec.maxLen} most recent values used; list oldest first)` });
}

function numericValue(spec: NumericFeature, maxAbsZ: number) {
  return z
    .union([z.number(), z.string(), z.boolean(), z.null()], {
      error: (iss) => (nonFinite(iss.input) ? 'numbers must be finite' : 'expected a number, a numeric string, a boolean or null'),
    })
    .superRefine((v, ctx) => {
      let x: number;
      if (typeof v === 'string') {
        if (!NUMERIC_STRING.test(v) || !Number.isFinite(Number(v))) {
          ctx.addIssue({ code: 'custom', message: `"${v.length > 40 ? v.slice(0, 40) + '...' : v}" is not a finite decimal number` });
          return;
        }
        x = Number(v);
      } else if (typeof v === 'number') x = v;
      else return;
      // The transform of normalise() in model/features/encode.ts, checked before encoding.
      const t = spec.transform === 'log1p' ? Math.log1p(Math.max(0, x)) : x;
      const zScore = (t - spec.mean) / (spec.std > 0 ? spec.std : 1);
      if (!Number.isFinite(zScore) || Math.abs(zScore) > maxAbsZ) {
        ctx.addIssue({
          code: 'custom',
          message: `${x} is out of range: ${Number.isFinite(zScore) ? Math.abs(zScore).toPrecision(3) : 'infinitely many'} standard deviations from the training data (limit ${maxAbsZ})`,
        });
      }
    })
    .openapi({ type: 'number', description: `${spec.entity} feature, numeric (${spec.transform})` });
}

function valueSchema(spec: FeatureSpec, cfg: Config) {
  if (spec.kind === 'numeric') return numericValue(spec, cfg.maxAbsZ);
  if (spec.kind === 'multi') return multiValue(spec);
  return categoricalValue(spec);
}

const anyValue = z
  .union([z.string().max(MAX_STRING * 16), z.number(), z.boolean(), z.null(), z.array(z.union([z.string().max(MAX_STRING), z.number()])).max(MAX_MULTI_VALUES)], {
    error: (iss) => (nonFinite(iss.input) ? 'numbers must be finite' : 'expected a string, number, boolean, null, or an array of strings/numbers'),
  })
  .openapi('FeatureValue');

/** Which entities' features each object of the request may carry: 'user', 'context', or a candidate kind (its own and the context's). */
export function entitiesOf(place: string): readonly Entity[] {
  return place === 'user' ? ['user'] : place === 'context' ? ['context'] : [place, 'context'];
}

/** The features a kind's candidates may carry for ranking without the model using them: the item price (revenue formula), a kind's value features. */
export function rankingOnlyFeatures(kind: KindSpec, cfg: Config): string[] {
  return kind.name === 'item' ? [cfg.priceFeature] : (kind.value ?? []).map((v) => v.feature);
}

/** OpenAPI component name of a kind: 'ad' -> 'Ad'. */
const componentName = (kind: string) => kind.replace(/(^|_)([a-z0-9])/g, (_, _u: string, c: string) => c.toUpperCase());

export function buildSchemas(info: ModelInfo | null, cfg: Config) {
  const specs = info ? info.layout.specs.filter(isClientInput) : null;

  const kinds = info ? info.kinds : DEFAULT_KINDS;
  const featureObject = (place: string, extra: Record<string, z.ZodType> = {}) => {
    if (!specs) return z.record(z.string(), anyValue);
    const shape: Record<string, z.ZodType> = {};
    for (const s of specs) if (entitiesOf(place).includes(s.entity)) shape[s.name] = valueSchema(s, cfg).optional();
    for (const [k, v] of Object.entries(extra)) if (!(k in shape)) shape[k] = v.optional();
    return z.strictObject(shape);
  };

  // The price used by the revenue formula (and a kind's value features); accepted on the kind's candidates even when the model does not use it.
  const priceOnly = z.union([z.number().min(0), z.string(), z.null()]).openapi({ description: 'ranking input (not a model feature): a finite number >= 0' });
  const userFeatures = featureObject('user').openapi({ description: 'User features (entity user).' });
  const contextFeatures = featureObject('context').openapi({ description: 'Request context features (entity context); candidate_kind is set by the server.' });
  const candidateLists: Record<string, z.ZodType> = {};
  for (const k of kinds) {
    const extra = Object.fromEntries(rankingOnlyFeatures(k, cfg).map((f) => [f, priceOnly]));
    const features = featureObject(k.name, extra).openapi({ description: `${k.name} features (entity ${k.name}; context features here override the request context for this row).` });
    const candidate = z
      .strictObject({
        id: z.string().min(1).max(MAX_ID).openapi({ description: `${k.name} id, unique within the list`, example: `${k.name[0]}1` }),
        features: features.optional(),
      })
      .openapi(componentName(k.name));
    candidateLists[k.field] = z.array(candidate).max(cfg.maxCandidates).optional();
  }

  const taskNames = info ? info.tasks.map((t) => t.name) : null;
  const weight = z.number().min(0).max(MAX_RANK_WEIGHT);
  const weights = taskNames
    ? z.strictObject(Object.fromEntries(taskNames.map((t) => [t, weight.optional()])))
    : z.record(z.string(), weight);

  const Rank = z
    .strictObject({
      formula: z.enum(['product', 'revenue']).optional().openapi({
        description: `product: score = prod_t p_t^w_t over the candidate's tasks. revenue: items score p(${cfg.revenueTask}) * ${cfg.priceFeature} (coupons keep the product formula). Kinds with value terms (ads: p(click) * bid, + p(conversion) * value) always rank by expected value. Default: ${cfg.rankFormula}.`,
      }),
      weights: weights.optional().openapi({
        description: `Per-task weights for the product formula, each in [0, ${MAX_RANK_WEIGHT}]; they override the configured defaults task by task (unlisted tasks keep their default; the default default is 1).`,
      }),
    })
    .openapi('Rank');

  const ScoreRequest = z
    .strictObject({
      user: z
        .strictObject({
          id: z.string().min(1).max(MAX_USER_ID).optional().openapi({ description: 'User id; also the KV key of stored user features', example: 'u42' }),
          features: userFeatures.optional(),
        })
        .optional()
        .openapi({ description: 'Without `features`, user features are read from KV (key = id).' }),
      context: contextFeatures.optional(),
      ...candidateLists,
      rank: Rank.optional(),
      top_k: z.number().int().min(1).max(cfg.maxCandidates).optional().openapi({ description: 'Keep the best top_k of each list.' }),
    })
    .openapi('ScoreRequest', {
      description: `One list per candidate kind (${kinds.map((k) => k.field).join(', ')}), at least one candidate; at most ${cfg.maxCandidates} candidates in total; body at most ${cfg.maxBodyBytes} bytes.`,
    });

  const probs = (kind: string) =>
    info ? Object.fromEntries(info.tasksOf[kind].map((t) => [t.name, z.number().openapi({ description: `p(${t.name})` })])) : {};
  const scoredLists = Object.fromEntries(
    kinds.map((k) => [k.field, z.array(z.object({ id: z.string(), score: z.number(), ...probs(k.name) }).openapi(`Scored${componentName(k.name)}`))]),
  );
  const ScoreResponse = z
    .object({
      model: z.object({ version: z.string(), quantization: z.string() }),
      rank: z.object({ formula: z.enum(['product', 'revenue']), weights: z.record(z.string(), z.number()) }),
      ...scoredLists,
    })
    .openapi('ScoreResponse');

  const Error = z
    .object({ error: z.object({ code: z.string(), message: z.string(), path: z.string() }) })
    .openapi('Error');

  const ModelResponse = z
    .object({
      version: z.string(),
      quantization: z.string(),
      quantizationScheme: z.string().nullable(),
      file: z
        .object({ path: z.string(), sha256: z.string(), bytes: z.number(), optimizer: z.string().nullable() })
        .nullable()
        .openapi({ description: "The ONNX file this isolate serves, from the manifest (model.int8.optimized.onnx: the int8 model as onnxruntime optimised it at export, `optimizer` says which; model.int8.onnx for a model exported before it, `optimizer` null)" }),
      architecture: z.string(),
      createdAt: z.string().optional(),
      kinds: z
        .array(z.object({ name: z.string(), field: z.string(), tasks: z.array(z.string()), value: z.array(z.object({ task: z.string(), feature: z.string() })).optional() }))
        .openapi({ description: 'Candidate kinds: the request field of each list, its tasks, and its expected-value terms (when it ranks by expected value)' }),
      tasks: z.array(z.object({ name: z.string(), appliesTo: z.string(), parent: z.string().optional() })),
      features: z
        .array(
          z.object({
            name: z.string(),
            entity: z.string().openapi({ description: "'user', 'context', or a candidate kind" }),
            kind: z.enum(['categorical', 'multi', 'numeric']),
            range: z.object({ min: z.number().nullable(), max: z.number().nullable() }).optional().openapi({ description: 'numeric: accepted raw values (MAX_ABS_ZSCORE rule); null = open' }),
            typical: z.number().optional().openapi({ description: 'numeric: the raw value at the training mean' }),
            values: z.array(z.string()).optional().openapi({ description: 'categorical / multi: frequent training values, most frequent first' }),
          }),
        )
        .openapi({ description: 'The features a client may send (candidate_kind is set by the server)' }),
      metrics: z.record(z.string(), z.record(z.string(), z.number().nullable())),
      ranking: z.object({ formula: z.string(), weights: z.record(z.string(), z.number()), priceFeature: z.string(), revenueTask: z.string() }),
      limits: z.object({ maxCandidates: z.number(), maxBodyBytes: z.number(), maxAbsZScore: z.number(), maxRankWeight: z.number() }),
      registry: z.record(z.string(), z.unknown()).optional().openapi({ description: 'With the MODELS bucket: the routing read, the routing in force, and each version loaded, loading or failed (with the reason)' }),
    })
    .openapi('Model');

  const Health = z
    .object({ status: z.enum(['ok', 'unavailable']), version: z.string().optional(), error: Error.shape.error.optional(), registry: z.record(z.string(), z.unknown()).optional() })
    .openapi('Health');

  return { ScoreRequest, ScoreResponse, ModelResponse, Health, Error, userFeatureValue: userFeatureValues(specs, cfg) };
}

/** Value schemas of the user features, for checking records read from KV. */
function userFeatureValues(specs: readonly FeatureSpec[] | null, cfg: Config): Map<string, z.ZodType> {
  const out = new Map<string, z.ZodType>();
  if (specs) for (const s of specs) if (s.entity === 'user') out.set(s.name, valueSchema(s, cfg));
  return out;
}

export type Schemas = ReturnType<typeof buildSchemas>;
