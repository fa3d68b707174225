// The portal's routes live in the path (/, /portal/3, /signup, …); the
// server answers every unknown path with the portal page. Same-origin links
// are followed with history.pushState instead of a page load.

export const route = $state({ path: location.pathname, search: location.search });

// Entries this app pushed carry this state, so back() knows whether the
// previous entry is one of ours or another site (or none: a shared link).
const ours = { portico: true };

/** Goes to path (with any query) without reloading. replace: no new history entry. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(history.state, '', to);
  else history.pushState(ours, '', to);
  sync();
}

/** Back to the previous page when it was one of ours; else to fallback. */
export function back(fallback: string): void {
  if ((history.state as typeof ours | null)?.portico) history.back();
  else navigate(fallback);
}

function sync(): void {
  route.path = location.pathname;
  route.search = location.search;
}

// Pages that are not the portal's: let the browser load them.
const elsewhere = /^\/(console|setup|api|healthz)(\/|$)/;

export function listen(): void {
  window.addEventListener('popstate', sync);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const a = (event.target as Element | null)?.closest?.('a');
    if (!a || !a.href || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const url = new URL(a.href);
    if (url.origin !== location.origin || elsewhere.test(url.pathname)) return;
    const samePage = url.pathname + url.search === location.pathname + location.search;
    // In-page anchors (#…) are the browser's.
    if (samePage && url.hash) return;
    event.preventDefault();
    if (!samePage) navigate(url.pathname + url.search);
  });
}

/** The value of a query parameter of the current address (reactive through route.search). */
export function query(name: string): string {
  return new URLSearchParams(route.search).get(name) ?? '';
}

/** A local path to return to after logging in; anything else becomes "/". */
export function safeNext(next: string): string {
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
