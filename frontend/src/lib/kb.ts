// Knowledge base: spaces, categories, articles, search, suggestions,
// deflection, feedback and analytics (docs/API.md, "Knowledge base").
// Ids are strings. Highlighted text (titleHl, excerpt) marks matches as
// @@@hl@@@word@@@endhl@@@ — JSM's markers — never as HTML: split it with
// highlightParts and render the parts as text.
import { call, path, sendFile } from './api';
import type { Ref } from './requests';

// Who may view ---------------------------------------------------------------

/**
 * inherit: as the category (or, for a category, the space) says.
 * anyone: whoever may reach the portal — without logging in only where the
 *   portal itself allows that.
 * loggedin: anyone logged in who may reach the portal.
 * audience: logged-in members of these organizations or email domains.
 */
export type ViewMode = 'inherit' | 'anyone' | 'loggedin' | 'audience';

export interface ViewRule {
  mode: ViewMode;
  orgs?: Ref[]; // audience only; send ids as { id }
  domains?: string[]; // audience only, e.g. "example.com"
}

/** What a save takes: organizations by id. */
export interface ViewRuleInput {
  mode: ViewMode;
  orgs?: string[];
  domains?: string[];
}

// Articles --------------------------------------------------------------------

export type ArticleStatus = 'draft' | 'published';

/** One row in lists and search results. */
export interface ArticleRow {
  id: string;
  title: string;
  /** Title with @@@hl@@@ markers (search results only). */
  titleHl?: string;
  /** A short plain-text passage with @@@hl@@@ markers around matches (search) or the opening (lists). */
  excerpt: string;
  portal: Ref; // the portal (service project) whose space holds it
  category?: Ref;
  labels: string[];
  updated: string; // RFC 3339
  // Staff only:
  status?: ArticleStatus;
  view?: ViewRule; // the article's own rule (may be inherit)
  effectiveView?: ViewRule;
  views?: number;
  helpful?: number;
  notHelpful?: number;
  author?: Ref;
}

export interface Article extends ArticleRow {
  /** Rendered and sanitised by the server: safe to put in the page. */
  html: string;
  /** Markdown as written: staff only. */
  body?: string;
  revision: number;
  created: string;
  author?: Ref;
  updatedBy?: Ref;
  /** The caller's own vote, if any. */
  myVote?: 'yes' | 'no';
  canEdit: boolean;
  /** The request it was written from, staff only. */
  fromRequest?: { id: string; key: string };
}

export interface ArticleInput {
  title?: string;
  body?: string;
  labels?: string[];
  category?: string; // '' for none
  status?: ArticleStatus;
  view?: ViewRuleInput;
  /** PATCH only: the revision the editor started from; a newer one answers 409. */
  revision?: number;
}

export interface Revision {
  revision: number;
  title: string;
  status: ArticleStatus;
  by?: Ref;
  at: string;
  /** GET …/revisions/{n} only. */
  body?: string;
  labels?: string[];
}

export interface Category {
  id: string;
  name: string;
  description: string;
  order: number;
  view: ViewRule; // may be inherit
  articles?: number; // staff list: how many articles
}

export interface Space {
  portal: Ref;
  view: ViewRule; // never inherit
  categories: Category[];
}

// Portal (customers, anyone) ----------------------------------------------

export interface SearchResult {
  query: string;
  articles: ArticleRow[];
  total: number;
  requestTypes: TypeHit[];
}

export interface TypeHit {
  id: string;
  portal: Ref;
  name: string;
  nameHl: string;
  description: string;
  icon: string;
}

export interface Suggestion {
  kind: 'article' | 'requestType';
  id: string;
  title: string;
  titleHl: string;
  portal: Ref;
  /** Where it opens: /articles/{id} or /portal/{portal}/create/{type}. */
  href: string;
}

function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

/** Search articles and request types; portal narrows to one portal. Logged for analytics. */
export function search(q: string, opts: { portal?: string; start?: number; limit?: number } = {}): Promise<SearchResult> {
  return call('GET', `/api/kb/search${qs({ q, ...opts })}`);
}

/** Type-ahead: a few titles for what is typed so far (prefix and typo tolerant). Not logged. */
export async function suggest(q: string, portal?: string): Promise<Suggestion[]> {
  const out = await call<{ suggestions: Suggestion[] | null }>('GET', `/api/kb/suggest${qs({ q, portal })}`);
  return out.suggestions ?? [];
}

/** Articles for a request summary being typed on a portal's raise form. */
export async function deflect(portalId: string, q: string): Promise<ArticleRow[]> {
  const out = await call<{ articles: ArticleRow[] | null }>('GET', `/api/portals/${path(portalId)}/kb/deflect${qs({ q })}`);
  return out.articles ?? [];
}

/** "This solved my problem": ends the raise flow without a request, counted. */
export function solved(portalId: string, articleId: string, query: string): Promise<void> {
  return call('POST', `/api/portals/${path(portalId)}/kb/deflections`, { article: articleId, query });
}

/** A portal's published articles the caller may read, by category. */
export function portalArticles(portalId: string): Promise<{ categories: (Category & { list: ArticleRow[] })[]; uncategorized: ArticleRow[] }> {
  return call('GET', `/api/portals/${path(portalId)}/kb`);
}

/** One article. Counts a view for customers. */
export function getArticle(id: string): Promise<Article> {
  return call('GET', `/api/kb/articles/${path(id)}`);
}

/** "Was this helpful?" One vote per person; voting again changes it. */
export function vote(id: string, helpful: boolean, reason = ''): Promise<{ helpful: number; notHelpful: number; myVote: 'yes' | 'no' }> {
  return call('POST', `/api/kb/articles/${path(id)}/feedback`, { helpful, reason });
}

// Console (agents of the project, admins) ---------------------------------

export interface SpaceOverview extends Space {
  articles: ArticleRow[]; // every article, drafts too, newest first
}

export function getSpace(projectId: string): Promise<SpaceOverview> {
  return call('GET', `/api/projects/${path(projectId)}/kb`);
}

export function updateSpace(projectId: string, view: ViewRuleInput): Promise<SpaceOverview> {
  return call('PATCH', `/api/projects/${path(projectId)}/kb`, { view });
}

export function createCategory(projectId: string, input: { name: string; description?: string; view?: ViewRuleInput }): Promise<Category> {
  return call('POST', `/api/projects/${path(projectId)}/kb/categories`, input);
}

/** order: the new 0-based position among the space's categories. */
export function updateCategory(id: string, input: { name?: string; description?: string; view?: ViewRuleInput; order?: number }): Promise<Category> {
  return call('PATCH', `/api/kb/categories/${path(id)}`, input);
}

/** Its articles stay, uncategorized. */
export function deleteCategory(id: string): Promise<void> {
  return call('DELETE', `/api/kb/categories/${path(id)}`);
}

export function createArticle(projectId: string, input: ArticleInput): Promise<Article> {
  return call('POST', `/api/projects/${path(projectId)}/kb/articles`, input);
}

export function updateArticle(id: string, input: ArticleInput): Promise<Article> {
  return call('PATCH', `/api/kb/articles/${path(id)}`, input);
}

export function deleteArticle(id: string): Promise<void> {
  return call('DELETE', `/api/kb/articles/${path(id)}`);
}

export async function revisions(id: string): Promise<Revision[]> {
  const out = await call<{ revisions: Revision[] | null }>('GET', `/api/kb/articles/${path(id)}/revisions`);
  return out.revisions ?? [];
}

export function getRevision(id: string, n: number): Promise<Revision> {
  return call('GET', `/api/kb/articles/${path(id)}/revisions/${n}`);
}

/** Makes revision n the current text again, as a new revision. */
export function restoreRevision(id: string, n: number): Promise<Article> {
  return call('POST', `/api/kb/articles/${path(id)}/revisions/${n}/restore`);
}

export interface ArticleFile {
  id: string;
  name: string;
  size: number;
  type: string;
  url: string;
  /** Ready to paste into the body: ![name](url) for images, [name](url) otherwise. */
  markdown: string;
}

/** Stores a file (an image, usually) with the article, for its body to link. */
export function uploadFile(articleId: string, file: File, onProgress?: (fraction: number) => void): Promise<ArticleFile> {
  return sendFile('POST', `/api/kb/articles/${path(articleId)}/files${qs({ name: file.name })}`, file, onProgress);
}

/** Markdown preview exactly as the portal will render it. */
export async function preview(markdown: string): Promise<string> {
  const out = await call<{ html: string }>('POST', '/api/kb/preview', { body: markdown });
  return out.html;
}

export interface ImportFile {
  /** The file's path starting with the chosen folder (webkitRelativePath): "Handbook/Printers/x.md" goes in category "Printers". */
  path: string;
  /** The Markdown file's text, with optional front matter (title, labels, category, status). */
  content: string;
}

export interface ImportResult {
  created: { id: string; title: string; path: string }[];
  failed: { path: string; message: string }[];
}

/** Imports up to 50 Markdown files per call; call again for the next batch (that is the progress). */
export function importArticles(projectId: string, files: ImportFile[], status: ArticleStatus = 'draft'): Promise<ImportResult> {
  return call('POST', `/api/projects/${path(projectId)}/kb/import`, { files, status });
}

/** Where the space's zip of Markdown files (with front matter) and files downloads from. */
export function exportUrl(projectId: string): string {
  return `/api/projects/${path(projectId)}/kb/export`;
}

/** A draft article from a resolved request: summary, description and the public replies. */
export function articleFromRequest(idOrKey: string): Promise<Article> {
  return call('POST', `/api/requests/${path(idOrKey)}/article`);
}

/** Published articles of the request's portal matching q, for an agent to link in a reply. */
export async function articlesForReply(idOrKey: string, q: string): Promise<(ArticleRow & { url: string })[]> {
  const out = await call<{ articles: (ArticleRow & { url: string })[] | null }>('GET', `/api/requests/${path(idOrKey)}/articles${qs({ q })}`);
  return out.articles ?? [];
}

export interface QueryStat {
  query: string;
  count: number;
  /** Searches that found nothing. */
  zero: number;
  last: string;
}

export interface Analytics {
  since: string;
  searches: number;
  topQueries: QueryStat[];
  /** Queries that found nothing, most asked first: content gaps. */
  gaps: QueryStat[];
  deflection: { solved: number; raised: number; rate: number };
  articles: { id: string; title: string; portal: Ref; views: number; helpful: number; notHelpful: number }[];
}

/** Search analytics; project narrows articles and deflection to one space. */
export function analytics(projectId?: string): Promise<Analytics> {
  return call('GET', `/api/kb/analytics${qs({ project: projectId })}`);
}

export const languages: { id: string; name: string }[] = [
  { id: 'en', name: 'English' },
  { id: 'de', name: 'Deutsch' },
  { id: 'es', name: 'Español' },
  { id: 'fr', name: 'Français' },
  { id: 'it', name: 'Italiano' },
  { id: 'nl', name: 'Nederlands' },
  { id: 'pt', name: 'Português' },
  { id: 'sv', name: 'Svenska' },
  { id: 'da', name: 'Dansk' },
  { id: 'fi', name: 'Suomi' },
  { id: 'no', name: 'Norsk' },
  { id: 'ru', name: 'Русский' },
];

/** Splits text with @@@hl@@@ markers into parts to render as text, marked or not. */
export function highlightParts(s: string): { text: string; hl: boolean }[] {
  const out: { text: string; hl: boolean }[] = [];
  const re = /@@@hl@@@([\s\S]*?)@@@endhl@@@/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > last) out.push({ text: s.slice(last, m.index), hl: false });
    out.push({ text: m[1], hl: true });
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push({ text: s.slice(last), hl: false });
  return out;
}
