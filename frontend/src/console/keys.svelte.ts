// Suggests a project key from its name, as Jira does, until the person types
// their own: "IT Support" → IT, "Human Resources" → HR, "Facilities" → FAC.
// The server has the last word (2–10 capital letters or digits, starting with
// a letter).

export function suggestKey(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) return '';
  let key: string;
  const first = words[0];
  if (first.length >= 2 && first.length <= 10 && first === first.toUpperCase() && /^[A-Z]/.test(first)) {
    // An acronym already: "IT Support", "HR Help".
    key = first;
  } else if (words.length >= 2) {
    key = words.map((w) => w[0]).join('');
  } else {
    key = first.slice(0, 3);
  }
  key = key.toUpperCase().replace(/^[0-9]+/, '').slice(0, 10);
  return key;
}

/** What a person types into a key field, tidied: capitals and digits only. */
export function cleanKey(v: string): string {
  return v.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 10);
}

/**
 * A key field that follows a name field until the person types a key of
 * their own. Give nameInput and keyInput to the fields' oninput, and bind
 * the key field's value to key. The handlers read the input itself:
 * bind:value may not have run yet.
 */
export class KeyFromName {
  key = $state('');
  #edited = false;

  constructor(key = '') {
    this.key = key;
  }

  nameInput = (event: Event): void => {
    if (!this.#edited) this.key = suggestKey((event.currentTarget as HTMLInputElement).value);
  };

  keyInput = (event: Event): void => {
    const input = event.currentTarget as HTMLInputElement;
    this.key = cleanKey(input.value);
    input.value = this.key;
    this.#edited = this.key !== '';
  };
}
