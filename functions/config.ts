// Worker settings from wrangler [vars] (and the API_KEY secret). Every var is optional; a
// var that is set but invalid is a configuration error (503 config_error), never a silent
// fallback. Values may be strings (wrangler [vars] strings, .dev.vars) or JSON values.

import { MAX_RANK_WEIGHT, type RankFormula } from '../model/serving/rank.ts';

/** The part of a KV namespace binding the worker uses (structurally a KVNamespace). */
export interface KvReader {
  get(key: string, options: { type: 'json'; cacheTtl?: number }): Promise<unknown>;
}

export interface Env {
  /** KV namespace: key = user id, value = JSON object of user features. */
  USER_FEATURES?: KvReader;
  /** Secret. When set (non-empty), /v1/* requires `Authorization: Bearer <API_KEY>`. */
  API_KEY?: string;
  MAX_CANDIDATES?: string | number;
  MAX_BODY_BYTES?: string | number;
  RANK_FORMULA?: string;
  RANK_WEIGHTS?: string | Record<string, number>;
  PRICE_FEATURE?: string;
  REVENUE_TASK?: string;
  MAX_ABS_ZSCORE?: string | number;
  CORS_ORIGINS?: string;
  KV_CACHE_TTL?: string | number;
  /** "1" serves the playground page at / (functions/playground.ts); "0" or unset: off. */
  PLAYGROUND?: string;
}

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
  playground: boolean;
}

export const DEFAULTS = {
  maxCandidates: 1000,
  maxBodyBytes: 1 << 20,
  rankFormula: 'product' as RankFormula,
  priceFeature: 'item_price',
  revenueTask: 'purchase',
  maxAbsZ: 100,
  kvCacheTtl: 60,
};

export class ConfigError extends Error {}

function intVar(env: Env, name: keyof Env, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const x = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(x) || x < min || x > max) throw new ConfigError(`${name}=${String(raw)}: expected an integer in [${min}, ${max}]`);
  return x;
}

function numVar(env: Env, name: keyof Env, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const x = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(x) || x < min || x > max) throw new ConfigError(`${name}=${String(raw)}: expected a number in [${min}, ${max}]`);
  return x;
}

export function parseWeights(raw: unknown, where: string): Record<string, number> {
  let obj = raw;
  if (typeof raw === 'string') {
    try {
      obj = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${where}: not JSON`);
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ConfigError(`${where}: expected a JSON object of task weights`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_RANK_WEIGHT) {
      throw new ConfigError(`${where}.${k}: expected a number in [0, ${MAX_RANK_WEIGHT}]`);
    }
    out[k] = v;
  }
  return out;
}

function flagVar(env: Env, name: 'PLAYGROUND'): boolean {
  const raw = env[name] === undefined ? '' : String(env[name]).trim();
  if (raw !== '' && raw !== '0' && raw !== '1') throw new ConfigError(`${name}=${raw}: expected 0 (off) or 1 (on)`);
  return raw === '1';
}

/** KV edge-cache TTL in seconds: 0 (off) or >= 60 (the KV minimum). */
function kvTtl(env: Env): number {
  const ttl = intVar(env, 'KV_CACHE_TTL', DEFAULTS.kvCacheTtl, 0, 86_400 * 365);
  if (ttl !== 0 && ttl < 60) throw new ConfigError(`KV_CACHE_TTL=${ttl}: expected 0 (off) or at least 60`);
  return ttl;
}

export function parseConfig(env: Env): Config {
  const formula = env.RANK_FORMULA === undefined || env.RANK_FORMULA === '' ? DEFAULTS.rankFormula : env.RANK_FORMULA;
  if (formula !== 'product' && formula !== 'revenue') throw new ConfigError(`RANK_FORMULA=${formula}: expected product or revenue`);
  const cors = (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    maxCandidates: intVar(env, 'MAX_CANDIDATES', DEFAULTS.maxCandidates, 1, 100_000),
    maxBodyBytes: intVar(env, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, 1024, 100 << 20),
    rankFormula: formula,
    rankWeights: env.RANK_WEIGHTS === undefined || env.RANK_WEIGHTS === '' ? {} : parseWeights(env.RANK_WEIGHTS, 'RANK_WEIGHTS'),
    priceFeature: env.PRICE_FEATURE || DEFAULTS.priceFeature,
    revenueTask: env.REVENUE_TASK || DEFAULTS.revenueTask,
    maxAbsZ: numVar(env, 'MAX_ABS_ZSCORE', DEFAULTS.maxAbsZ, 1, 1e6),
    corsOrigins: cors.length ? cors : null,
    kvCacheTtl: kvTtl(env),
    apiKey: typeof env.API_KEY === 'string' && env.API_KEY !== '' ? env.API_KEY : null,
    playground: flagVar(env, 'PLAYGROUND'),
  };
}

/** Identifies a configuration (the app, its schemas and closures are built per configuration). */
export function configKey(c: Config): string {
  return JSON.stringify([c.maxCandidates, c.maxBodyBytes, c.rankFormula, c.rankWeights, c.priceFeature, c.revenueTask, c.maxAbsZ, c.corsOrigins, c.kvCacheTtl, c.apiKey, c.playground]);
}
