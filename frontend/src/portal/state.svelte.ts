// What every portal page shares: the help center (name, access, branding)
// and the session.

import type { Account, HelpCenter, Session } from '../lib/api';

export const app = $state({
  helpCenter: null as HelpCenter | null,
  session: null as Session | null,
});

export function account(): Account | null {
  return app.session?.account ?? null;
}

export function setAccount(a: Account | null): void {
  if (app.session) app.session.account = a;
}

/** The window title: the page, then the help center. */
export function setTitle(page = ''): void {
  const name = app.helpCenter?.name || 'Help Center';
  document.title = page ? `${page} · ${name}` : name;
}
