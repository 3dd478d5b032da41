// The one error shape of the API: {"error": {"code", "message", "path"}}. `path` names the
// offending field in the request body (e.g. "items[3].features.item_price"), or "" when the
// problem is not about one field. Every error body of the worker is built by errorBody()
// (inside the Hono app through ApiError, outside it through errorResponse()).

export type ErrorStatus = 400 | 401 | 404 | 405 | 413 | 415 | 500 | 503;

export interface ErrorBody {
  error: { code: string; message: string; path: string };
}

/** Longest client-supplied name (a key, a header value) echoed back in an error. */
export const MAX_ECHO = 100;

/** `s` cut to `max` characters (with "..." when cut), so an error never echoes a huge input. */
export function clip(s: string, max = MAX_ECHO): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

export function errorBody(code: string, message: string, path = ''): ErrorBody {
  return { error: { code, message, path } };
}

/** A JSON error response, for the few answers given outside the Hono app (index.ts). */
export function errorResponse(status: ErrorStatus, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(errorBody(code, message)), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly path = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return errorBody(this.code, this.message, this.path);
  }
}

/** "items[3].features.item_price" from ["items", 3, "features", "item_price"]; names cut by clip(). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = clip(String(seg));
      const ident = /^[A-Za-z_$][\w$]*$/.test(s);
      out += ident ? (out === '' ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}
