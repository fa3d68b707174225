// The console's knowledge base helpers: answers with their null lists made
// empty (the server writes Go nil slices as null), what each "Who can view"
// choice means in plain words, and a message that outlives a route change
// (an article deleted, then the list it lands on says so).

import type {
  Analytics,
  Article,
  ArticleRow,
  Category,
  SpaceOverview,
  ViewMode,
  ViewRule,
  ViewRuleInput,
} from '../../lib/kb';

export function ruleOf(r: ViewRule | null | undefined, fallback: ViewMode = 'inherit'): ViewRule {
  return { mode: r?.mode ?? fallback, orgs: r?.orgs ?? [], domains: r?.domains ?? [] };
}

export function rowOf<T extends ArticleRow>(a: T): T {
  return {
    ...a,
    labels: a.labels ?? [],
    excerpt: a.excerpt ?? '',
    view: a.view ? ruleOf(a.view) : undefined,
    effectiveView: a.effectiveView ? ruleOf(a.effectiveView, 'anyone') : undefined,
  };
}

export function articleOf(a: Article): Article {
  return { ...rowOf(a), body: a.body ?? '', html: a.html ?? '' };
}

export function categoryOf(c: Category): Category {
  return { ...c, description: c.description ?? '', view: ruleOf(c.view) };
}

export function spaceOf(s: SpaceOverview): SpaceOverview {
  return {
    ...s,
    view: ruleOf(s.view, 'anyone'),
    categories: (s.categories ?? []).map(categoryOf).sort((a, b) => a.order - b.order || a.name.localeCompare(b.name)),
    articles: (s.articles ?? []).map(rowOf),
  };
}

export function analyticsOf(a: Analytics): Analytics {
  return {
    ...a,
    topQueries: a.topQueries ?? [],
    gaps: a.gaps ?? [],
    articles: a.articles ?? [],
    deflection: a.deflection ?? { solved: 0, raised: 0, rate: 0 },
  };
}

// Who can view ---------------------------------------------------------------

/** What the editors hold: organizations by id, as a save sends them. */
export interface ViewDraft {
  mode: ViewMode;
  orgs: string[];
  domains: string[];
}

export function draftOf(r: ViewRule): ViewDraft {
  return { mode: r.mode, orgs: (r.orgs ?? []).map((o) => o.id), domains: [...(r.domains ?? [])] };
}

export function inputOf(d: ViewDraft): ViewRuleInput {
  return d.mode === 'audience' ? { mode: d.mode, orgs: [...d.orgs], domains: [...d.domains] } : { mode: d.mode };
}

export const modeNames: Record<Exclude<ViewMode, 'inherit'>, string> = {
  anyone: 'Anyone',
  loggedin: 'All logged-in users',
  audience: 'Specific organizations or email domains',
};

export const modeMeanings: Record<Exclude<ViewMode, 'inherit'>, string> = {
  anyone: 'Anyone who can reach the portal — without logging in only where the portal allows that.',
  loggedin: 'Everyone who can reach the portal, once they have logged in.',
  audience: 'Only logged-in members of the organizations you choose, or people whose email address is at one of the domains.',
};

/** A rule in a few words, for lists: "Anyone", "Logged-in users", "Acme, @example.com". */
export function shortRule(r: ViewRule): string {
  if (r.mode === 'anyone') return 'Anyone';
  if (r.mode === 'loggedin') return 'Logged-in users';
  if (r.mode === 'inherit') return 'Same as above';
  const names = [...(r.orgs ?? []).map((o) => o.name), ...(r.domains ?? []).map((d) => '@' + d)];
  return names.length ? names.join(', ') : 'Nobody yet';
}

/** A rule as one sentence: what it means for who reads. */
export function ruleSentence(r: ViewRule): string {
  if (r.mode === 'inherit') return 'The same people as the level above.';
  if (r.mode !== 'audience') return modeMeanings[r.mode];
  const names = (r.orgs ?? []).map((o) => o.name);
  const parts = [
    names.length ? `members of ${names.join(', ')}` : '',
    r.domains?.length ? `people with ${r.domains.map((d) => '@' + d).join(', ')} addresses` : '',
  ].filter(Boolean);
  return parts.length ? `Only logged-in ${parts.join(' and ')}.` : 'Nobody: choose an organization or a domain.';
}

/** The rule that applies to something whose own rule is r, under parent. */
export function resolve(r: ViewRule, parent: ViewRule): ViewRule {
  return r.mode === 'inherit' ? parent : r;
}

// A message for the next screen ----------------------------------------------

export const flash = $state({ message: '' });

/** Reads the message once: the screen that shows it clears it. */
export function takeFlash(): string {
  const m = flash.message;
  flash.message = '';
  return m;
}

// Numbers --------------------------------------------------------------------

const integer = new Intl.NumberFormat();
export function count(n: number | undefined): string {
  return integer.format(n ?? 0);
}

export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
