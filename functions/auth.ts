// Bearer-token auth as a Hono middleware (bearerAuth), like Hono's own middlewares. Both
// sides are hashed with SHA-256 first, so the comparison always covers 32 bytes whatever the
// lengths, and the digests are compared in constant time (crypto.subtle.timingSafeEqual in
// workerd; an XOR accumulator elsewhere).

import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

const enc = new TextEncoder();

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(s)));
}

export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  const subtle = crypto.subtle as typeof crypto.subtle & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };
  if (typeof subtle.timingSafeEqual === 'function') return subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1] : null;
}

/** Middleware: 401 unauthorized (with WWW-Authenticate: Bearer) unless the request carries `key`. */
export function bearerAuth(key: string): MiddlewareHandler {
  return async function bearerAuthCheck(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (token === null || !(await constantTimeEqual(token, key))) {
      throw new ApiError(401, 'unauthorized', token === null ? 'missing Authorization: Bearer <key>' : 'invalid API key', '', { 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  };
}
