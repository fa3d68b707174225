// The only module that calls fetch. One typed function per endpoint of
// Portico's /api; the types are kept by hand here, next to the calls.
// The desktop window reaches the same /api through Wails' AssetServer, so
// there is no desktop branch in this file.

export type Role = 'admin' | 'agent' | 'customer';

export interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** The desktop owner: the account the window acts as. */
  owner: boolean;
}

/** Which door the request came through: the desktop window or a LAN browser. */
export type Door = 'window' | 'lan';

export interface Session {
  door: Door;
  setupRequired: boolean;
  account: Account | null;
}

export interface HelpCenter {
  name: string;
  portalUrl: string;
}

export interface Addresses {
  /** Every address a customer on the network could use, e.g. http://192.168.1.5:8480/ */
  addresses: string[];
  /** The one Portico puts in the links it sends. */
  canonical: string;
}

export interface SetupInput {
  /** From the setup link; omitted in the desktop window, which needs none. */
  token?: string;
  helpCenterName: string;
  name: string;
  email: string;
  password: string;
}

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** A failed call: the server's error body, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly hint: string;
  /** Per-field messages, keyed by the request body's field names. */
  readonly fields: Record<string, string>;

  constructor(
    status: number,
    kind: ErrorKind,
    message: string,
    hint = '',
    fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.kind = kind;
    this.hint = hint;
    this.fields = fields;
  }
}

export const unreachableMessage = 'Portico is not reachable. Check that it is still running.';

// Used when an error response has no Portico body (a proxy's page, say).
const kindOfStatus: Record<number, ErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'too_large',
  429: 'rate_limited',
  502: 'unavailable',
  503: 'unavailable',
  504: 'unavailable',
};

const kinds = new Set<string>(Object.values(kindOfStatus).concat('internal'));

/** Any thrown value as an ApiError, so screens have one thing to show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error && err.message ? err.message : 'Something went wrong.';
  return new ApiError(0, 'internal', message);
}

async function errorFrom(res: Response): Promise<ApiError> {
  const fallbackKind = kindOfStatus[res.status] ?? 'internal';
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const kind = typeof e.kind === 'string' && kinds.has(e.kind) ? (e.kind as ErrorKind) : fallbackKind;
    const hint = typeof e.hint === 'string' ? e.hint : '';
    const fields: Record<string, string> = {};
    if (e.fields && typeof e.fields === 'object') {
      for (const [k, v] of Object.entries(e.fields as Record<string, unknown>)) {
        if (typeof v === 'string') fields[k] = v;
      }
    }
    return new ApiError(res.status, kind, e.message, hint, fields);
  }
  if (fallbackKind === 'unavailable') {
    return new ApiError(res.status, 'unavailable', unreachableMessage);
  }
  return new ApiError(res.status, fallbackKind, `Portico answered with an unexpected error (HTTP ${res.status}).`);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    // fetch rejects only when no answer came back at all.
    throw new ApiError(0, 'unavailable', unreachableMessage);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, 'internal', 'Portico sent an answer this page could not read. Reload the page.');
  }
}

export function getSession(): Promise<Session> {
  return call('GET', '/api/session');
}

/** First-run setup. On the LAN the server also sets the session cookie. */
export async function setup(input: SetupInput): Promise<Account> {
  const body: SetupInput = { ...input };
  if (!body.token) delete body.token;
  const out = await call<{ account: Account }>('POST', '/api/setup', body);
  return out.account;
}

export async function login(email: string, password: string): Promise<Account> {
  const out = await call<{ account: Account }>('POST', '/api/login', { email, password });
  return out.account;
}

export function logout(): Promise<void> {
  return call('POST', '/api/logout');
}

export function getHelpCenter(): Promise<HelpCenter> {
  return call('GET', '/api/helpcenter');
}

/** Admin only. Send just the fields that change. */
export function updateHelpCenter(patch: Partial<HelpCenter>): Promise<HelpCenter> {
  return call('PATCH', '/api/helpcenter', patch);
}

/** Agent or admin. */
export function getAddresses(): Promise<Addresses> {
  return call('GET', '/api/helpcenter/addresses');
}

/** URL of a PNG QR code for text, for an <img src>. Agent or admin. */
export function qrCodeUrl(text: string): string {
  return `/api/qr?text=${encodeURIComponent(text)}`;
}
