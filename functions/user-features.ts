// User features for a request: from the request body when it carries `user.features`,
// otherwise from KV (binding USER_FEATURES, key = user.id, value = JSON object of features).
// Source, reported in the X-User-Features response header:
//   request   user.features was in the body (KV not read)
//   kv-hit    read from KV
//   kv-miss   no KV entry for the id: manifest defaults (the encoder's missing values)
//   kv-error  the KV read failed, or the stored value is not a JSON object of valid user
//             feature values (also a stored JSON `null`: an entry, just not a usable one):
//             defaults, and the request is scored anyway
//   no-kv     user.id given but no USER_FEATURES binding configured: defaults
//   none      no user id and no features: defaults
// Unknown keys in a stored record are ignored (a feature store may hold more than this model
// reads); a known key with an invalid value makes the whole record kv-error.

import type { z } from '@hono/zod-openapi';
import type { RawValue } from '../model/features/spec.ts';
import type { KvReader } from './config.ts';

export type UserSource = 'request' | 'kv-hit' | 'kv-miss' | 'kv-error' | 'no-kv' | 'none';

export interface UserFeatures {
  features: Record<string, RawValue> | undefined;
  source: UserSource;
  reason?: string;
}

export async function userFeaturesFromKv(
  kv: KvReader | undefined,
  id: string,
  valueSchemas: Map<string, z.ZodType>,
  cacheTtl: number,
): Promise<UserFeatures> {
  if (!kv) return { features: undefined, source: 'no-kv' };
  // Read as text and parsed here: with type 'json' a missing key and a stored `null` both come
  // back as null, and only the first is a miss.
  let text: string | null;
  try {
    text = await kv.get(id, cacheTtl > 0 ? { type: 'text', cacheTtl } : { type: 'text' });
  } catch (e) {
    return { features: undefined, source: 'kv-error', reason: e instanceof Error ? e.message : String(e) };
  }
  if (text === null) return { features: undefined, source: 'kv-miss' };
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return { features: undefined, source: 'kv-error', reason: 'stored value is not JSON' };
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return { features: undefined, source: 'kv-error', reason: 'stored value is not a JSON object' };
  const out: Record<string, RawValue> = {};
  for (const [name, schema] of valueSchemas) {
    if (!Object.prototype.hasOwnProperty.call(stored, name)) continue;
    const r = schema.safeParse((stored as Record<string, unknown>)[name]);
    if (!r.success) return { features: undefined, source: 'kv-error', reason: `stored ${name}: ${r.error.issues[0]?.message ?? 'invalid'}` };
    out[name] = r.data as RawValue;
  }
  return { features: out, source: 'kv-hit' };
}
