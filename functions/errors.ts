// The one error shape of the API: {"error": {"code", "message", "path"}}. `path` names the
// offending field in the request body (e.g. "items[3].features.item_price"), or "" when the
// problem is not about one field.

export type ErrorStatus = 400 | 401 | 404 | 405 | 413 | 415 | 500 | 503;

export interface ErrorBody {
  error: { code: string; message: string; path: string };
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
    return { error: { code: this.code, message: this.message, path: this.path } };
  }
}

/** "items[3].features.item_price" from ["items", 3, "features", "item_price"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      const ident = /^[A-Za-z_$][\w$]*$/.test(s);
      out += ident ? (out === '' ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}
