// Worker settings from wrangler [vars] (and the API_KEY secret). Every var is optional; a
// var that is set but invalid is a configuration error (503 config_error naming the var,
// never its value), never a silent fallback. Values may be strings (wrangler [vars] strings,
// .dev.vars) or any JSON value ([vars] written as TOML numbers, arrays or tables): each var
// either parses into a working setting or is reported, whatever its type.
//
// API_KEY fails closed: present in any form means auth is on. A present value that is not a
// non-empty string is a configuration error, so no request is ever served without the key.

import type { TaskSpec } from '../model/features/spec.ts';
import { MAX_RANK_WEIGHT, type RankFormula } from '../model/serving/rank.ts';
import { clip } from './errors.ts';

/** The part of a KV namespace binding the worker uses (structurally a KVNamespace). */
export interface KvReader {
  get(key: string, options: { type: 'text'; cacheTtl?: number }): Promise<string | null>;
}

export interface Env {
  /** KV namespace: key = user id, value = JSON object of user features. */
  USER_FEATURES?: KvReader;
  /** Secret. When present, /v1/* requires `Authorization: Bearer <API_KEY>`. */
  API_KEY?: unknown;
  MAX_CANDIDATES?: unknown;
  MAX_BODY_BYTES?: unknown;
  RANK_FORMULA?: unknown;
  RANK_WEIGHTS?: unknown;
  PRICE_FEATURE?: unknown;
  REVENUE_TASK?: unknown;
  MAX_ABS_ZSCORE?: unknown;
  CORS_ORIGINS?: unknown;
  KV_CACHE_TTL?: unknown;
  /** "1": the bench-only routes of bench.ts (behind the same auth and limits as the API). */
  BENCH_ROUTES?: unknown;
  /** "1" serves the playground page at / (functions/playground.ts); "0" or unset: off. */
  PLAYGROUND?: unknown;
  /** Seconds between reads of the model registry's routing document per isolate (functions/registry.ts). */
  MODEL_ROUTING_TTL?: unknown;
}

export type VarName = Exclude<keyof Env, 'USER_FEATURES'>;

export interface Config {
  maxCandidates: number;
  maxBodyBytes: number;
  rankFormula: RankFormula;
  /** Default multiplicative-fusion weights by task name; tasks not listed weigh 1. */
  rankWeights: Record<string, number>;
  priceFeature: string;
  revenueTask: string;
  /** Largest accepted |(t(x) - mean) / std| of a numeric feature value. */
  maxAbsZ: number;
  /** null = CORS off; ['*'] = any origin. */
  corsOrigins: string[] | null;
  kvCacheTtl: number;
  apiKey: string | null;
  benchRoutes: boolean;
  playground: boolean;
  /** Seconds between reads of the registry's routing document, per isolate. */
  modelRoutingTtl: number;
}

export const DEFAULTS = {
  maxCandidates: 1000,
  maxBodyBytes: 1 << 20,
  rankFormula: 'product' as RankFormula,
  priceFeature: 'item_price',
  revenueTask: 'purchase',
  maxAbsZ: 100,
  kvCacheTtl: 60,
  modelRoutingTtl: 10,
};

/**
 * One or more invalid vars. The message names them (and the key inside a var's object, e.g.
 * RANK_WEIGHTS.ctr) and says what is expected, never the values.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: VarName; key?: string; expected: string }[]) {
    super(problems.map((p) => `${p.variable}${p.key === undefined ? '' : `.${clip(p.key)}`}: expected ${p.expected}`).join('; '));
  }
  get variables(): VarName[] {
    return this.problems.map((p) => p.variable);
  }
}

/** Thrown by one var's parser (key: the offending key of an object var); collected by parseConfig. */
class Invalid extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

const unset = (raw: unknown) => raw === undefined || raw === '';

function numberOf(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return Number(raw.trim());
  return NaN;
}

function intVar(raw: unknown, def: number, min: number, max: number): number {
  if (unset(raw)) return def;
  const x = numberOf(raw);
  if (!Number.isInteger(x) || x < min || x > max) throw new Invalid(`an integer in [${min}, ${max}]`);
  return x;
}

function numVar(raw: unknown, def: number, min: number, max: number): number {
  if (unset(raw)) return def;
  const x = numberOf(raw);
  if (!Number.isFinite(x) || x < min || x > max) throw new Invalid(`a number in [${min}, ${max}]`);
  return x;
}

function stringVar(raw: unknown, def: string): string {
  if (unset(raw)) return def;
  if (typeof raw !== 'string' || raw.trim() !== raw) throw new Invalid('a string without surrounding spaces');
  return raw;
}

function formulaVar(raw: unknown): RankFormula {
  if (unset(raw)) return DEFAULTS.rankFormula;
  if (raw !== 'product' && raw !== 'revenue') throw new Invalid('product or revenue');
  return raw;
}

/** Task weights: a JSON object (or its text) of numbers in [0, MAX_RANK_WEIGHT]. */
export function parseWeights(raw: unknown): Record<string, number> {
  let obj = raw;
  if (typeof raw === 'string') {
    try {
      obj = JSON.parse(raw);
    } catch {
      obj = undefined;
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Invalid(`a JSON object of task weights, each a number in [0, ${MAX_RANK_WEIGHT}]`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_RANK_WEIGHT) throw new Invalid(`a number in [0, ${MAX_RANK_WEIGHT}]`, k);
    out[k] = v;
  }
  return out;
}

/** CORS origins: a comma-separated string or a JSON array of strings; "" = off. */
function corsVar(raw: unknown): string[] | null {
  if (raw === undefined) return null;
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : Array.isArray(raw) ? raw : null;
  const expected = 'a comma-separated list (or JSON array) of origins such as https://shop.example, or *';
  if (!list || !list.every((o) => typeof o === 'string' && !/\s/.test(o))) throw new Invalid(expected);
  const origins = (list as string[]).filter(Boolean);
  if (typeof raw !== 'string' && origins.length !== list.length) throw new Invalid(expected);
  return origins.length ? origins : null;
}

/** KV edge-cache TTL in seconds: 0 (off) or >= 60 (the KV minimum). */
function kvTtlVar(raw: unknown): number {
  const ttl = intVar(raw, DEFAULTS.kvCacheTtl, 0, 86_400 * 365);
  if (ttl !== 0 && ttl < 60) throw new Invalid('0 (off) or an integer of at least 60 (seconds)');
  return ttl;
}

/** The API key, or null when API_KEY is absent. Present but not a non-empty string: invalid. */
export function apiKeyVar(raw: unknown): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || raw === '') throw new Invalid('a non-empty string (a secret: wrangler secret put API_KEY)');
  return raw;
}

/** An on/off switch var: "1" on; unset, "" or "0" off. */
function switchVar(raw: unknown): boolean {
  if (unset(raw) || raw === '0') return false;
  if (raw === '1') return true;
  throw new Invalid('"1" (on) or "0" (off)');
}

/**
 * The configuration of `env`; throws one ConfigError naming every invalid var. With the
 * model's tasks, RANK_WEIGHTS may name only those tasks and a REVENUE_TASK that is set must
 * be an item task.
 */
export function parseConfig(env: Env, tasks: readonly TaskSpec[] | null = null): Config {
  const problems: { variable: VarName; key?: string; expected: string }[] = [];
  const read = <T>(variable: VarName, parse: (raw: unknown) => T, fallback: T): T => {
    try {
      return parse(env[variable]);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      problems.push({ variable, key: e.key, expected: e.message });
      return fallback;
    }
  };
  const taskNames = tasks?.map((t) => t.name);
  const cfg: Config = {
    maxCandidates: read('MAX_CANDIDATES', (r) => intVar(r, DEFAULTS.maxCandidates, 1, 100_000), 0),
    maxBodyBytes: read('MAX_BODY_BYTES', (r) => intVar(r, DEFAULTS.maxBodyBytes, 1024, 100 << 20), 0),
    rankFormula: read('RANK_FORMULA', formulaVar, DEFAULTS.rankFormula),
    rankWeights: read(
      'RANK_WEIGHTS',
      (r) => {
        if (unset(r)) return {};
        const w = parseWeights(r);
        const unknown = taskNames && Object.keys(w).find((k) => !taskNames.includes(k));
        if (unknown !== undefined && unknown !== null) throw new Invalid(`a task of the model (${taskNames!.join(', ')})`, unknown);
        return w;
      },
      {},
    ),
    priceFeature: read('PRICE_FEATURE', (r) => stringVar(r, DEFAULTS.priceFeature), ''),
    revenueTask: read(
      'REVENUE_TASK',
      (r) => {
        const t = stringVar(r, DEFAULTS.revenueTask);
        const itemTasks = tasks?.filter((s) => s.appliesTo === 'item').map((s) => s.name);
        if (!unset(r) && itemTasks && !itemTasks.includes(t)) throw new Invalid(`one of the model's item tasks (${itemTasks.join(', ') || 'none'})`);
        return t;
      },
      '',
    ),
    maxAbsZ: read('MAX_ABS_ZSCORE', (r) => numVar(r, DEFAULTS.maxAbsZ, 1, 1e6), 0),
    corsOrigins: read('CORS_ORIGINS', corsVar, null),
    kvCacheTtl: read('KV_CACHE_TTL', kvTtlVar, 0),
    apiKey: read('API_KEY', apiKeyVar, null),
    benchRoutes: read('BENCH_ROUTES', switchVar, false),
    playground: read('PLAYGROUND', switchVar, false),
    modelRoutingTtl: read('MODEL_ROUTING_TTL', (r) => intVar(r, DEFAULTS.modelRoutingTtl, 1, 3600), 0),
  };
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}

/**
 * What a broken configuration still needs to answer safely: the API key (auth before the
 * config error; null = absent) or whether API_KEY itself is broken, and the CORS origins (so
 * browsers can read the error; null when off or broken).
 */
export function guardOf(env: Env): { apiKey: string | null; apiKeyBroken: boolean; corsOrigins: string[] | null } {
  let apiKey: string | null = null;
  let apiKeyBroken = false;
  let corsOrigins: string[] | null = null;
  try {
    apiKey = apiKeyVar(env.API_KEY);
  } catch {
    apiKeyBroken = true;
  }
  try {
    corsOrigins = corsVar(env.CORS_ORIGINS);
  } catch {
    // reported by parseConfig; the error goes out without CORS headers
  }
  return { apiKey, apiKeyBroken, corsOrigins };
}

/** Identifies a configuration (the app, its schemas and closures are built per configuration). */
export function configKey(c: Config): string {
  return JSON.stringify([c.maxCandidates, c.maxBodyBytes, c.rankFormula, c.rankWeights, c.priceFeature, c.revenueTask, c.maxAbsZ, c.corsOrigins, c.kvCacheTtl, c.apiKey, c.benchRoutes, c.playground, c.modelRoutingTtl]);
}
