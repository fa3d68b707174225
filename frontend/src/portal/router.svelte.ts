// The portal's routes live in the path (/, /portal/3, /signup, …); the
// server answers every unknown path with the portal page. Same-origin links
// are followed with history.pushState instead of a page load.

export const route = $state({ path: location.pathname });

/** Goes to path (with any query) without reloading. replace: no new history entry. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  route.path = location.pathname;
}

// Pages that are not the portal's: let the browser load them.
const elsewhere = /^\/(console|setup|api|healthz)(\/|$)/;

export function listen(): void {
  window.addEventListener('popstate', () => {
    route.path = location.pathname;
  });
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

/** The value of a query parameter of the current address. */
export function query(name: string): string {
  return new URLSearchParams(location.search).get(name) ?? '';
}

/** A local path to return to after logging in; anything else becomes "/". */
export function safeNext(next: string): string {
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
