// Personal API tokens: what scripts use to call Portico's REST API
// (/rest/servicedeskapi, compatible with Jira Service Management's), with
// HTTP Basic (email and token) or a Bearer header. Only the caller's own
// tokens; the secret comes back once, when the token is made.
import { call, path } from './api';

export interface ApiToken {
  id: string;
  /** The owner's account id. */
  account: string;
  name: string;
  /** RFC 3339. */
  created: string;
  /** RFC 3339; '' when the token has never been used. */
  lastUsed: string;
  /** RFC 3339; '' for a token that does not expire. */
  expires: string;
}

/** A new token and its secret ("ptk_…"), which the server never shows again. */
export interface NewApiToken {
  token: ApiToken;
  secret: string;
}

type RawToken = Omit<ApiToken, 'id' | 'account' | 'lastUsed' | 'expires'> & {
  id: string | number;
  account: string | number;
  lastUsed?: string | null;
  expires?: string | null;
};

function tokenOf(t: RawToken): ApiToken {
  return { ...t, id: String(t.id), account: String(t.account), lastUsed: t.lastUsed ?? '', expires: t.expires ?? '' };
}

/** The caller's tokens, newest first. */
export async function listTokens(): Promise<ApiToken[]> {
  const out = await call<{ tokens: RawToken[] | null }>('GET', '/api/tokens');
  return (out.tokens ?? []).map(tokenOf);
}

/** days: 1..3650, or 0 for a token that never expires. The name is required (at most 100 characters). */
export async function createToken(name: string, days: number): Promise<NewApiToken> {
  const out = await call<{ token: RawToken; secret: string }>('POST', '/api/tokens', { name, days });
  return { token: tokenOf(out.token), secret: out.secret };
}

/** Revokes one of the caller's tokens: scripts using it get 401 at once. */
export function revokeToken(id: string): Promise<void> {
  return call('DELETE', `/api/tokens/${path(id)}`);
}
