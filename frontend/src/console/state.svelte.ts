// The console's shared state: the hash route (the console is served at
// /console, at /setup and, in the desktop window, at /, so only the fragment
// is ours), the pending-email count the navigation shows, and what to do
// when a call finds the session gone.

import { getOutbox, toApiError, type ApiError } from '../lib/api';

function parse(): string[] {
  const h = location.hash;
  // "#token=…" (the setup link) and other fragments are not routes.
  if (!h.startsWith('#/')) return [];
  return h
    .slice(2)
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
}

/** The current route's parts: "#/portals/3/customers" → ["portals", "3", "customers"]. */
export const route = $state({ parts: parse() });

let listening = false;
let leaveGuard: (() => string) | null = null;
let currentHash = '';

/**
 * While fn answers a message (an editor with unsaved changes), leaving the
 * route by the Back button or a typed address asks first, with it; null
 * takes the guard away. Links inside the page are the editor's to catch.
 */
export function guardLeaving(fn: (() => string) | null): void {
  leaveGuard = fn;
}

export function listen(): void {
  if (listening) return;
  listening = true;
  currentHash = location.hash;
  window.addEventListener('hashchange', () => {
    const message = leaveGuard?.() ?? '';
    if (message && !window.confirm(message)) {
      // Stay: put the address back without another hashchange.
      history.replaceState(history.state, '', location.pathname + location.search + currentHash);
      return;
    }
    currentHash = location.hash;
    route.parts = parse();
  });
}

/** The href of a console route, from its parts. */
export function href(...parts: (string | number)[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}

export function go(...parts: (string | number)[]): void {
  location.hash = href(...parts);
}

/** Like go, but in place of the current history entry (a redirect). */
export function replace(...parts: (string | number)[]): void {
  location.replace(href(...parts));
}

export const shared = $state({
  /** Emails waiting in the outbox; null when unknown or not an admin. */
  outboxCount: null as number | null,
  helpCenterName: '',
  isAdmin: false,
});

let signedOut: () => void = () => {};

export function onSignedOut(fn: () => void): void {
  signedOut = fn;
}

/** Any thrown value as an ApiError; a 401 means the session ended, so reload it (which shows sign-in). */
export function failed(err: unknown): ApiError {
  const e = toApiError(err);
  if (e.kind === 'unauthenticated') signedOut();
  return e;
}

/** Re-reads the outbox count for the navigation's badge. Errors leave the old count. */
export async function refreshOutbox(): Promise<void> {
  if (!shared.isAdmin) {
    shared.outboxCount = null;
    return;
  }
  try {
    shared.outboxCount = (await getOutbox()).length;
  } catch {
    // The badge is a convenience; the page itself shows errors.
  }
}

export const roleNames = { admin: 'Admin', agent: 'Agent', customer: 'Customer' } as const;

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "5 minutes ago", "yesterday", in the viewer's language; formatTime's answer for older dates. */
export function relativeTime(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  if (abs < 45 * 60) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(s / 3600), 'hour');
  if (abs < 6 * 86400) return relative.format(Math.round(s / 86400), 'day');
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(t));
}

/** The window's title for a console page. */
export function setTitle(page: string): void {
  document.title = page ? `${page} · Portico` : 'Portico';
}

export const channelNames = { restricted: 'Restricted', open: 'Open' } as const;

/** In a strip of links that scrolls sideways (tabs on a phone), scrolls the current one (aria-current) into sight. */
export function keepInSight(strip: HTMLElement | null): void {
  if (!strip || strip.scrollWidth <= strip.clientWidth) return;
  const a = strip.querySelector<HTMLElement>('[aria-current="page"]');
  if (!a) return;
  const left = a.getBoundingClientRect().left - strip.getBoundingClientRect().left + strip.scrollLeft;
  if (left < strip.scrollLeft || left + a.offsetWidth > strip.scrollLeft + strip.clientWidth) {
    strip.scrollLeft = left - 8;
  }
}
