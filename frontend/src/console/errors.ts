// The server's per-field messages (ApiError.fields) for forms that edit
// lists: keys may be spelled "fields.2.label" or "fields[2].label"; these
// helpers read both, so each control finds its own message and the rest
// can be listed together.

/** "fields[2].label" → "fields.2.label". */
export function normalKey(key: string): string {
  return key.replace(/\[(\w+)\]/g, '.$1').replace(/^\./, '');
}

export class FieldErrors {
  readonly #byKey = new Map<string, string>();

  constructor(errors: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(errors)) this.#byKey.set(normalKey(k), v);
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The message for the first of keys that has one; ''. */
  get(...keys: string[]): string {
    for (const k of keys) {
      const m = this.#byKey.get(normalKey(k));
      if (m) return m;
    }
    return '';
  }

  /** Messages for keys under prefix ("fields.2" → "fields.2.options.0"), not prefix itself. */
  under(prefix: string): string[] {
    const p = normalKey(prefix) + '.';
    return [...this.#byKey].filter(([k]) => k.startsWith(p)).map(([, v]) => v);
  }

  /** Messages whose keys no control claims: shown in one list so none is lost. */
  unclaimed(claims: (key: string) => boolean): [string, string][] {
    return [...this.#byKey].filter(([k]) => !claims(k));
  }
}
