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
