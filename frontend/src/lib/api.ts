// The only module that talks to the network (fetch, and XMLHttpRequest for
// uploads that report progress). One typed function per endpoint of
// Portico's /api; the types are kept by hand here, next to the calls.
// The desktop window reaches the same /api through Wails' AssetServer, so
// there is no desktop branch in this file.

export type Role = 'admin' | 'agent' | 'customer';

export interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** The desktop owner: the account the window acts as. */
  owner: boolean;
}

/** Which door the request came through: the desktop window or a LAN browser. */
export type Door = 'window' | 'lan';

export interface Session {
  door: Door;
  setupRequired: boolean;
  account: Account | null;
}

/** Site-level "Customer access". */
export interface SiteAccess {
  /** "Allow customers to create accounts". */
  signup: boolean;
  /** "Customers can access and send requests from the portal without logging in" (needs signup). */
  anonymous: boolean;
}

export interface HelpCenter {
  name: string;
  portalUrl: string;
  access: SiteAccess;
  /** Markdown as typed; announcementHtml is the same rendered and sanitised by the server. */
  announcement: string;
  announcementHtml: string;
  loginMessage: string;
  loginMessageHtml: string;
  /** #rrggbb */
  primaryColor: string;
  bannerColor: string;
  /** Where the logo is served; '' without one. Changes with the image. */
  logoUrl: string;
  /** The knowledge base's search language (lib/kb.ts languages): stemming and stop words. */
  language: string;
}

/** What PATCH /api/helpcenter takes: any of these. */
export interface HelpCenterPatch {
  name?: string;
  portalUrl?: string;
  access?: SiteAccess;
  announcement?: string;
  loginMessage?: string;
  primaryColor?: string;
  bannerColor?: string;
  language?: string;
}

export interface Addresses {
  /** Every address a customer on the network could use, e.g. http://192.168.1.5:8480/ */
  addresses: string[];
  /** The one Portico puts in the links it sends. */
  canonical: string;
}

/** Onboarding's one question: who is this help center for? */
export type Audience = 'added' | 'accounts' | 'anyone';

export interface SetupInput {
  /** From the setup link; omitted in the desktop window, which needs none. */
  token?: string;
  helpCenterName: string;
  audience: Audience;
  /** The first portal; none is created when empty. */
  portalName?: string;
  portalKey?: string;
  name: string;
  email: string;
  password: string;
}

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** A failed call: the server's error body, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly hint: string;
  /** Per-field messages, keyed by the request body's field names. */
  readonly fields: Record<string, string>;

  constructor(
    status: number,
    kind: ErrorKind,
    message: string,
    hint = '',
    fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.kind = kind;
    this.hint = hint;
    this.fields = fields;
  }
}

export const unreachableMessage = 'Portico is not reachable. Check that it is still running.';

// Used when an error response has no Portico body (a proxy's page, say).
const kindOfStatus: Record<number, ErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'too_large',
  429: 'rate_limited',
  502: 'unavailable',
  503: 'unavailable',
  504: 'unavailable',
};

const kinds = new Set<string>(Object.values(kindOfStatus).concat('internal'));

/** Any thrown value as an ApiError, so screens have one thing to show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error && err.message ? err.message : 'Something went wrong.';
  return new ApiError(0, 'internal', message);
}

/** The error for a failed answer: Portico's JSON error body (parsed, or undefined), else one made from the status. */
function errorOf(status: number, body: unknown): ApiError {
  const fallbackKind = kindOfStatus[status] ?? 'internal';
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const kind = typeof e.kind === 'string' && kinds.has(e.kind) ? (e.kind as ErrorKind) : fallbackKind;
    const hint = typeof e.hint === 'string' ? e.hint : '';
    const fields: Record<string, string> = {};
    if (e.fields && typeof e.fields === 'object') {
      for (const [k, v] of Object.entries(e.fields as Record<string, unknown>)) {
        if (typeof v === 'string') fields[k] = v;
      }
    }
    return new ApiError(status, kind, e.message, hint, fields);
  }
  if (fallbackKind === 'unavailable') {
    return new ApiError(status, 'unavailable', unreachableMessage);
  }
  return new ApiError(status, fallbackKind, `Portico answered with an unexpected error (HTTP ${status}).`);
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  return errorOf(res.status, body);
}

function unreadable(status: number): ApiError {
  return new ApiError(status, 'internal', 'Portico sent an answer this page could not read. Reload the page.');
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body instanceof Blob) {
    // An image upload: the file itself is the body.
    headers['Content-Type'] = body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    // fetch rejects only when no answer came back at all.
    throw new ApiError(0, 'unavailable', unreachableMessage);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw unreadable(res.status);
  }
}

/**
 * Like call with a file as the body, but through XMLHttpRequest, whose
 * upload reports progress: onProgress hears the fraction sent so far, from
 * 0 to 1. Answers and errors are read as call reads them.
 */
export function sendFile<T>(method: string, path: string, file: Blob, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (onProgress) {
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
      };
    }
    // As with fetch's rejection: no answer came back at all.
    xhr.onerror = xhr.ontimeout = xhr.onabort = () => reject(new ApiError(0, 'unavailable', unreachableMessage));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status < 200 || xhr.status > 299) reject(errorOf(xhr.status, body));
      else if (xhr.status === 204) resolve(undefined as T);
      else if (body === undefined) reject(unreadable(xhr.status));
      else resolve(body as T);
    };
    xhr.send(file);
  });
}

export function getSession(): Promise<Session> {
  return call('GET', '/api/session');
}

/** First-run setup. On the LAN the server also sets the session cookie. */
export async function setup(input: SetupInput): Promise<Account> {
  const body: SetupInput = { ...input };
  if (!body.token) delete body.token;
  if (!body.portalName) {
    delete body.portalName;
    delete body.portalKey;
  }
  const out = await call<{ account: Account }>('POST', '/api/setup', body);
  return out.account;
}

export async function login(email: string, password: string): Promise<Account> {
  const out = await call<{ account: Account }>('POST', '/api/login', { email, password });
  return out.account;
}

export function logout(): Promise<void> {
  return call('POST', '/api/logout');
}

export async function getHelpCenter(): Promise<HelpCenter> {
  const hc = await call<HelpCenter>('GET', '/api/helpcenter');
  return { ...hc, logoUrl: hc.logoUrl ?? '' };
}

/** Admin only. Send just the fields that change. */
export function updateHelpCenter(patch: HelpCenterPatch): Promise<HelpCenter> {
  return call('PATCH', '/api/helpcenter', patch);
}

/** Admin. PNG, JPEG or GIF, judged by content; at most 1 MB and 2048×2048. */
export function setHelpCenterLogo(image: Blob): Promise<HelpCenter> {
  return call('PUT', '/api/helpcenter/logo', image);
}

/** Admin. */
export function removeHelpCenterLogo(): Promise<HelpCenter> {
  return call('DELETE', '/api/helpcenter/logo');
}

/** Agent or admin. */
export function getAddresses(): Promise<Addresses> {
  return call('GET', '/api/helpcenter/addresses');
}

/** URL of a PNG QR code for text, for an <img src>. Agent or admin. */
export function qrCodeUrl(text: string): string {
  return `/api/qr?text=${encodeURIComponent(text)}`;
}

// Ids -----------------------------------------------------------------------
// The API documents ids as strings, but some answers carry numbers (projects,
// outbox emails, a project's organizations, a rule's organization). Every
// answer goes through these so screens only ever see strings.

type RawId = string | number;

function id(v: RawId | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** One path segment, escaped. */
export function path(part: string | number): string {
  return encodeURIComponent(String(part));
}

// Accounts: signup and passwords --------------------------------------------

/** A 202 whose message reads the same whatever happened. */
export interface Message {
  message: string;
}

/** website is the honeypot: people leave it empty. */
export function signup(input: { name: string; email: string; website: string }): Promise<Message> {
  return call('POST', '/api/signup', input);
}

export function forgotPassword(email: string): Promise<Message> {
  return call('POST', '/api/password/forgot', { email });
}

/** Sets the password from a link's token and logs in (on the LAN, with a cookie). */
export async function setPassword(token: string, password: string): Promise<Account> {
  const out = await call<{ account: Account }>('POST', '/api/password/set', { token, password });
  return out.account;
}

// Portals (customer side) ---------------------------------------------------

export interface Portal {
  id: string;
  key: string;
  name: string;
  description: string;
  /** Sanitised by the server; safe for {@html}. */
  announcementHtml: string;
  /** '' without a logo. */
  logoUrl: string;
}

type RawPortal = Omit<Portal, 'id' | 'logoUrl'> & { id: RawId; logoUrl?: string };

function portalOf(p: RawPortal): Portal {
  return { ...p, id: id(p.id), logoUrl: p.logoUrl ?? '' };
}

/** Only the portals the caller may use; 401 when the help center needs a login. */
export async function getPortals(): Promise<Portal[]> {
  const out = await call<{ portals: RawPortal[] | null }>('GET', '/api/portals');
  return (out.portals ?? []).map(portalOf);
}

/** Refusals carry a reason and remedy, never the portal's name. */
export async function getPortal(portalId: string): Promise<Portal> {
  return portalOf(await call<RawPortal>('GET', `/api/portals/${path(portalId)}`));
}

// Service projects (console) ------------------------------------------------

export type Channel = 'restricted' | 'open';
export type Sharing = 'organization' | 'email' | 'search';

export interface Project {
  id: string;
  key: string;
  name: string;
  portalName: string;
  portalDescription: string;
  portalAnnouncement: string;
  portalAnnouncementHtml: string;
  channel: Channel;
  /** What the channel means under the current site settings, in plain words. */
  channelMeaning: string;
  sharing: Sharing;
  order: number;
  archived: boolean;
  created: string;
  /** '' without a logo. */
  logoUrl: string;
}

export interface ProjectInput {
  key?: string;
  name?: string;
  portalName?: string;
  portalDescription?: string;
  portalAnnouncement?: string;
  channel?: Channel;
  sharing?: Sharing;
  order?: number;
  archived?: boolean;
}

type RawProject = Omit<Project, 'id' | 'logoUrl'> & { id: RawId; logoUrl?: string };

function projectOf(p: RawProject): Project {
  return { ...p, id: id(p.id), logoUrl: p.logoUrl ?? '' };
}

/** Staff: agents get the projects they are assigned to. */
export async function getProjects(): Promise<Project[]> {
  const out = await call<{ projects: RawProject[] | null }>('GET', '/api/projects');
  return (out.projects ?? []).map(projectOf);
}

export async function getProject(projectId: string): Promise<Project> {
  return projectOf(await call<RawProject>('GET', `/api/projects/${path(projectId)}`));
}

/** Admin. */
export async function createProject(input: ProjectInput): Promise<Project> {
  return projectOf(await call<RawProject>('POST', '/api/projects', input));
}

/** Admin. Any field but key. */
export async function updateProject(projectId: string, patch: ProjectInput): Promise<Project> {
  return projectOf(await call<RawProject>('PATCH', `/api/projects/${path(projectId)}`, patch));
}

/** Admin. The portal's logo, as for the help center's. */
export async function setProjectLogo(projectId: string, image: Blob): Promise<Project> {
  return projectOf(await call<RawProject>('PUT', `/api/projects/${path(projectId)}/logo`, image));
}

/** Admin. */
export async function removeProjectLogo(projectId: string): Promise<Project> {
  return projectOf(await call<RawProject>('DELETE', `/api/projects/${path(projectId)}/logo`));
}

export type RouteKind = 'direct' | 'organization' | 'domain';

/** One way a person is a customer of a project; name is the organization or the domain. */
export interface Route {
  kind: RouteKind;
  name?: string;
}

export interface CustomerRow {
  account: Account;
  active: boolean;
  routes: Route[];
}

export interface CustomerList {
  customers: CustomerRow[];
  total: number;
  /** Set for Open portals: the list is not the whole story. */
  note: string;
}

export async function getCustomers(projectId: string, q = ''): Promise<CustomerList> {
  const query = q.trim() ? `?q=${encodeURIComponent(q.trim())}` : '';
  const out = await call<Partial<CustomerList>>('GET', `/api/projects/${path(projectId)}/customers${query}`);
  return { customers: out.customers ?? [], total: out.total ?? 0, note: out.note ?? '' };
}

/** Someone added by email; created says a new account was made (its link waits in the outbox). */
export interface Added {
  /** Who they are; the answer deliberately carries no role. */
  account: Pick<Account, 'id' | 'email' | 'name'>;
  created: boolean;
}

export function addCustomer(projectId: string, email: string, name = ''): Promise<Added> {
  return call('POST', `/api/projects/${path(projectId)}/customers`, name ? { email, name } : { email });
}

/** Removes the direct route only. */
export function removeCustomer(projectId: string, accountId: string): Promise<void> {
  return call('DELETE', `/api/projects/${path(projectId)}/customers/${path(accountId)}`);
}

/** "People with an @domain address are customers", optionally joining an organization. */
export interface Rule {
  domain: string;
  /** Organization id, or '' for none. */
  organization: string;
}

type RawRule = { domain: string; organization?: RawId | null };

export async function getRules(projectId: string): Promise<Rule[]> {
  const out = await call<{ rules: RawRule[] | null }>('GET', `/api/projects/${path(projectId)}/rules`);
  return (out.rules ?? []).map((r) => ({ domain: r.domain, organization: id(r.organization) }));
}

export async function addRule(projectId: string, domain: string, organization = ''): Promise<Rule> {
  const body: { domain: string; organization?: string } = { domain };
  if (organization) body.organization = organization;
  const r = await call<RawRule>('POST', `/api/projects/${path(projectId)}/rules`, body);
  return { domain: r.domain, organization: id(r.organization) };
}

export function removeRule(projectId: string, domain: string): Promise<void> {
  return call('DELETE', `/api/projects/${path(projectId)}/rules/${path(domain)}`);
}

export interface OrgRef {
  id: string;
  name: string;
}

export async function getProjectOrgs(projectId: string): Promise<OrgRef[]> {
  const out = await call<{ organizations: { id: RawId; name: string }[] | null }>(
    'GET',
    `/api/projects/${path(projectId)}/organizations`,
  );
  return (out.organizations ?? []).map((o) => ({ id: id(o.id), name: o.name }));
}

export function attachOrg(projectId: string, orgId: string): Promise<void> {
  return call('PUT', `/api/projects/${path(projectId)}/organizations/${path(orgId)}`);
}

export function detachOrg(projectId: string, orgId: string): Promise<void> {
  return call('DELETE', `/api/projects/${path(projectId)}/organizations/${path(orgId)}`);
}

/** Admin. */
export function assignAgent(projectId: string, accountId: string, assign: boolean): Promise<void> {
  return call(assign ? 'PUT' : 'DELETE', `/api/projects/${path(projectId)}/agents/${path(accountId)}`);
}

export type Outcome = 'allowed' | 'login' | 'denied' | 'deactivated' | 'gone';

export interface Decision {
  outcome: Outcome;
  code: string;
  reason: string;
  remedy?: string;
  facts: string[];
}

export interface Explanation {
  /** null: no account uses the address. */
  account: Account | null;
  decision: Decision;
}

export async function explainAccess(projectId: string, email: string): Promise<Explanation> {
  const q = `email=${encodeURIComponent(email)}&project=${encodeURIComponent(projectId)}`;
  const out = await call<Explanation>('GET', `/api/explain?${q}`);
  return { account: out.account ?? null, decision: { ...out.decision, facts: out.decision.facts ?? [] } };
}

// Organizations -------------------------------------------------------------

export interface Organization {
  id: string;
  name: string;
  /** Ids of the projects it is attached to. */
  projects: string[];
}

type RawOrg = { id: RawId; name: string; projects?: RawId[] | null };

function orgOf(o: RawOrg): Organization {
  return { id: id(o.id), name: o.name, projects: (o.projects ?? []).map(id) };
}

export async function getOrganizations(): Promise<Organization[]> {
  const out = await call<{ organizations: RawOrg[] | null }>('GET', '/api/organizations');
  return (out.organizations ?? []).map(orgOf);
}

export async function createOrganization(name: string): Promise<Organization> {
  return orgOf(await call<RawOrg>('POST', '/api/organizations', { name }));
}

export async function renameOrganization(orgId: string, name: string): Promise<Organization> {
  return orgOf(await call<RawOrg>('PATCH', `/api/organizations/${path(orgId)}`, { name }));
}

/** Detaches it everywhere. */
export function deleteOrganization(orgId: string): Promise<void> {
  return call('DELETE', `/api/organizations/${path(orgId)}`);
}

export async function getMembers(orgId: string): Promise<Account[]> {
  const out = await call<{ members: Account[] | null }>('GET', `/api/organizations/${path(orgId)}/members`);
  return out.members ?? [];
}

export function addMember(orgId: string, email: string, name = ''): Promise<Added> {
  return call('POST', `/api/organizations/${path(orgId)}/members`, name ? { email, name } : { email });
}

export function removeMember(orgId: string, accountId: string): Promise<void> {
  return call('DELETE', `/api/organizations/${path(orgId)}/members/${path(accountId)}`);
}

// Staff and the outbox ------------------------------------------------------

export interface StaffMember extends Account {
  active: boolean;
  /** Projects an agent is assigned to. */
  projects: string[];
}

export async function getStaff(): Promise<StaffMember[]> {
  const out = await call<{ staff: (Omit<StaffMember, 'projects'> & { projects?: RawId[] | null })[] | null }>(
    'GET',
    '/api/staff',
  );
  return (out.staff ?? []).map((s) => ({ ...s, projects: (s.projects ?? []).map(id) }));
}

/** Admin. The set-password link goes to the outbox. */
export async function addStaff(input: { email: string; name: string; role: 'admin' | 'agent' }): Promise<Account> {
  const out = await call<{ account: Account }>('POST', '/api/staff', input);
  return out.account;
}

/** Admin. Deactivating ends every session; the owner stays an active admin. */
export async function updateAccount(
  accountId: string,
  patch: { name?: string; role?: Role; active?: boolean },
): Promise<Account> {
  const out = await call<{ account: Account }>('PATCH', `/api/accounts/${path(accountId)}`, patch);
  return out.account;
}

/** An email Portico would have sent; mail delivery comes later. */
export interface Email {
  id: string;
  to: string;
  subject: string;
  text: string;
  /** The set-password link in it, if any. */
  link: string;
  kind: string;
  created: string;
}

type RawEmail = Omit<Email, 'id' | 'link'> & { id: RawId; link?: string };

/** Admin. */
export async function getOutbox(): Promise<Email[]> {
  const out = await call<{ emails: RawEmail[] | null }>('GET', '/api/outbox');
  return (out.emails ?? []).map((e) => ({ ...e, id: id(e.id), link: e.link ?? '' }));
}

/** Admin. */
export function dismissEmail(emailId: string): Promise<void> {
  return call('DELETE', `/api/outbox/${path(emailId)}`);
}
