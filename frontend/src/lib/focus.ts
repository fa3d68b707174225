import { tick } from 'svelte';

/**
 * After a route change: once the new page is drawn, focus its heading (or
 * main itself), so keyboard and screen-reader users start there. main is
 * read then, not when called, so an effect calling this does not depend on it.
 */
export function focusHeading(main: () => HTMLElement | null): void {
  tick().then(() => {
    const el = main();
    const h1 = el?.querySelector<HTMLElement>('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    } else {
      el?.focus();
    }
  });
}
