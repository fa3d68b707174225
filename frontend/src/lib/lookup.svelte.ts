// Results for what is being typed, fetched after a pause: answers to older
// text arriving late are dropped, and a failure shows nothing — these are
// hints beside a form, never the task itself.

export function lookup<T>(
  query: () => string,
  fetch: (q: string) => Promise<T[]>,
  opts: { minLength: number; delay: number },
): { readonly found: T[] } {
  let found = $state<T[]>([]);
  // The newest question asked.
  let asked = '';
  $effect(() => {
    const q = query().trim();
    if (q.length < opts.minLength) {
      asked = '';
      found = [];
      return;
    }
    const timer = setTimeout(async () => {
      asked = q;
      try {
        const rows = await fetch(q);
        if (asked === q) found = rows;
      } catch {
        if (asked === q) found = [];
      }
    }, opts.delay);
    return () => clearTimeout(timer);
  });
  return {
    get found() {
      return found;
    },
  };
}
