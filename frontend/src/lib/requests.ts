// Requests, request types and workflows (docs/API.md, "Requests"). The
// server writes every id as a string here, so no conversion is needed.
import { call, path, sendFile } from './api';

export type Category = 'open' | 'progress' | 'done';
export type FieldKind =
  | 'summary'
  | 'description'
  | 'text'
  | 'paragraph'
  | 'select'
  | 'multiselect'
  | 'date'
  | 'number'
  | 'checkbox'
  | 'attachment';
export type Icon =
  | 'help'
  | 'bug'
  | 'access'
  | 'hardware'
  | 'software'
  | 'question'
  | 'change'
  | 'purchase'
  | 'network'
  | 'mail';
export const icons: Icon[] = ['help', 'bug', 'access', 'hardware', 'software', 'question', 'change', 'purchase', 'network', 'mail'];
/** What the icon picker calls each icon. */
export const iconNames: Record<Icon, string> = {
  help: 'Help',
  bug: 'Bug',
  access: 'Access',
  hardware: 'Hardware',
  software: 'Software',
  question: 'Question',
  change: 'Change',
  purchase: 'Purchase',
  network: 'Network',
  mail: 'Mail',
};
export type Sharing = 'organization' | 'email' | 'search';

export interface Status {
  id: string;
  /** Customer-facing name for customers; the internal name for staff. */
  name: string;
  category: Category;
  /** Staff only. */
  customerName?: string;
}

export interface Field {
  id: string;
  kind: FieldKind;
  label: string;
  help: string;
  required: boolean;
  hidden: boolean;
  preset?: unknown;
  options?: string[];
}

export interface Audience {
  organizations: string[];
  domains: string[];
}

export interface RequestType {
  id: string;
  projectId: string;
  name: string;
  description: string;
  helpText: string;
  icon: Icon;
  groupIds: string[];
  order: number;
  fields: Field[];
  /** Staff only. */
  audience?: Audience;
}

export interface Group {
  id: string;
  projectId?: string;
  name: string;
  order?: number;
}

export interface Person {
  id: string;
  name: string;
  email?: string;
}

export interface Ref {
  id: string;
  name: string;
}

export interface Attachment {
  id: string;
  name: string;
  size: number;
  type: string;
  url: string;
}

export type ActivityKind = 'created' | 'comment' | 'status' | 'shared' | 'unshared' | 'assigned' | 'type' | 'field';

export interface Activity {
  id: string;
  kind: ActivityKind;
  author: Person | null;
  at: string;
  public: boolean;
  /** A comment, rendered and sanitised by the server: safe for {@html}. */
  html?: string;
  text?: string;
  from?: string;
  to?: string;
  attachments?: Attachment[];
}

export interface Row {
  id: string;
  key: string;
  summary: string;
  status: Status;
  portal: Ref;
  type: { id: string; name: string; icon: Icon };
  reporter: Person;
  assignee?: Person;
  created: string;
  updated: string;
  /** Duplicate help only: the caller is already reporter or participant. */
  involved?: boolean;
}

export interface FieldValue {
  id: string;
  label: string;
  kind: FieldKind;
  value: unknown;
  /** description: rendered Markdown, safe for {@html}. */
  html?: string;
}

export interface Transition {
  id: string;
  name: string;
  requireComment?: boolean;
  resolution?: string;
}

export interface Actions {
  comment: boolean;
  internalComment: boolean;
  /** Someone or some organization could be added under the sharing setting. */
  share: boolean;
  /** Others can be removed (anyone may remove themself). */
  removeParticipant: boolean;
  /** Organizations can be taken off the request. */
  removeOrganization: boolean;
  transition: boolean;
  assign: boolean;
  changeType: boolean;
}

export interface Request extends Row {
  resolution: string;
  description: string;
  descriptionHtml: string;
  fields: FieldValue[];
  activity: Activity[];
  attachments: Attachment[];
  participants: Person[];
  organizations: Ref[];
  transitions: Transition[];
  actions: Actions;
  notifications: boolean;
  sharing: Sharing;
  resolutions?: string[];
}

export interface Page<T> {
  values: T[];
  start: number;
  limit: number;
  isLastPage: boolean;
  total?: number;
}

function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

// Portal --------------------------------------------------------------------

export function getPortalRequestTypes(portalId: string): Promise<{ groups: Group[]; types: RequestType[] }> {
  return call('GET', `/api/portals/${path(portalId)}/request-types`);
}

export interface RaiseForm {
  type: RequestType;
  share: { mode: Sharing; organizations: Ref[]; defaultOrganization?: string };
  onBehalf: boolean;
  anonymous: boolean;
}

export function getRaiseForm(portalId: string, typeId: string): Promise<RaiseForm> {
  return call('GET', `/api/portals/${path(portalId)}/request-types/${path(typeId)}`);
}

/**
 * Uploads a file as a temporary attachment, to be bound to a request or
 * comment. onProgress hears the fraction sent so far, from 0 to 1.
 */
export function upload(file: File, onProgress?: (fraction: number) => void): Promise<Attachment> {
  return sendFile('POST', `/api/uploads${qs({ name: file.name })}`, file, onProgress);
}

export interface RaiseInput {
  typeId: string;
  fields: Record<string, unknown>;
  attachments?: string[];
  organizationId?: string;
  participants?: string[];
  onBehalfOf?: string;
  /** Anonymous visitors only. */
  email?: string;
  /** Anonymous visitors only: the name for the account made for them. */
  name?: string;
}

/** A logged-in caller gets the request; an anonymous one only a message. */
export function raise(portalId: string, input: RaiseInput): Promise<Request | { message: string }> {
  return call('POST', `/api/portals/${path(portalId)}/requests`, input);
}

export async function similar(portalId: string, q: string): Promise<Row[]> {
  const out = await call<{ requests: Row[] | null }>('GET', `/api/portals/${path(portalId)}/similar${qs({ q })}`);
  return out.requests ?? [];
}

export type Ownership = 'all' | 'owned' | 'participated' | 'organization';
export type StatusFilter = 'open' | 'closed' | 'all';

export interface ListQuery {
  ownership?: Ownership;
  organization?: string;
  status?: StatusFilter;
  portal?: string;
  type?: string;
  q?: string;
  start?: number;
  limit?: number;
}

export function listRequests(query: ListQuery = {}): Promise<Page<Row> & { organizations: Ref[] }> {
  return call('GET', `/api/requests${qs({ ...query })}`);
}

export function getRequest(idOrKey: string): Promise<Request> {
  return call('GET', `/api/requests/${path(idOrKey)}`);
}

export function comment(idOrKey: string, body: string, opts: { internal?: boolean; attachments?: string[] } = {}): Promise<Activity> {
  return call('POST', `/api/requests/${path(idOrKey)}/comments`, { body, ...opts });
}

export function transition(idOrKey: string, transitionId: string, comment = ''): Promise<Request> {
  return call('POST', `/api/requests/${path(idOrKey)}/transitions`, { transitionId, comment });
}

export function share(
  idOrKey: string,
  who: { emails?: string[]; accountIds?: string[]; organizationIds?: string[] },
): Promise<Request> {
  return call('POST', `/api/requests/${path(idOrKey)}/participants`, who);
}

/** Undefined when the caller removed themself and can no longer see the request. */
export function removeParticipant(idOrKey: string, accountId: string): Promise<Request | undefined> {
  return call('DELETE', `/api/requests/${path(idOrKey)}/participants/${path(accountId)}`);
}

/** Undefined when the caller saw the request only through that organization. */
export function removeOrganization(idOrKey: string, orgId: string): Promise<Request | undefined> {
  return call('DELETE', `/api/requests/${path(idOrKey)}/organizations/${path(orgId)}`);
}

export function shareCandidates(idOrKey: string, q: string): Promise<{ people: Person[]; organizations: Ref[] }> {
  return call('GET', `/api/requests/${path(idOrKey)}/share-candidates${qs({ q })}`);
}

export function join(idOrKey: string): Promise<Request> {
  return call('POST', `/api/requests/${path(idOrKey)}/join`);
}

export function setNotifications(idOrKey: string, on: boolean): Promise<{ notifications: boolean }> {
  return call('PUT', `/api/requests/${path(idOrKey)}/notifications`, { on });
}

// Console -------------------------------------------------------------------

export type QueueId = 'open' | 'unassigned' | 'mine' | 'waiting' | 'resolved';

export interface Queue {
  id: QueueId;
  name: string;
  count: number;
}

export async function getQueues(projectId: string): Promise<Queue[]> {
  const out = await call<{ queues: Queue[] }>('GET', `/api/projects/${path(projectId)}/queues`);
  return out.queues;
}

export type Sort = '-updated' | 'updated' | '-created' | 'created';

export function queueRequests(
  projectId: string,
  query: { queue?: QueueId; q?: string; sort?: Sort; start?: number; limit?: number } = {},
): Promise<Page<Row>> {
  return call('GET', `/api/projects/${path(projectId)}/requests${qs({ ...query })}`);
}

export function assign(idOrKey: string, accountId: string): Promise<Request> {
  return call('POST', `/api/requests/${path(idOrKey)}/assign`, { accountId });
}

export function changeType(idOrKey: string, typeId: string): Promise<Request> {
  return call('PATCH', `/api/requests/${path(idOrKey)}`, { typeId });
}

export async function getAgents(projectId: string): Promise<Person[]> {
  const out = await call<{ agents: Person[] | null }>('GET', `/api/projects/${path(projectId)}/agents`);
  return out.agents ?? [];
}

export function getProjectRequestTypes(projectId: string): Promise<{ groups: Group[]; types: RequestType[] }> {
  return call('GET', `/api/projects/${path(projectId)}/request-types`);
}

export interface RequestTypeInput {
  name?: string;
  description?: string;
  helpText?: string;
  icon?: Icon;
  groupIds?: string[];
  fields?: Field[];
  audience?: Audience;
  order?: number;
}

export function createRequestType(projectId: string, input: RequestTypeInput): Promise<RequestType> {
  return call('POST', `/api/projects/${path(projectId)}/request-types`, input);
}

export function updateRequestType(typeId: string, input: RequestTypeInput): Promise<RequestType> {
  return call('PATCH', `/api/request-types/${path(typeId)}`, input);
}

export function deleteRequestType(typeId: string): Promise<void> {
  return call('DELETE', `/api/request-types/${path(typeId)}`);
}

export function createGroup(projectId: string, name: string): Promise<Group> {
  return call('POST', `/api/projects/${path(projectId)}/groups`, { name });
}

export function updateGroup(groupId: string, patch: { name?: string; order?: number }): Promise<Group> {
  return call('PATCH', `/api/groups/${path(groupId)}`, patch);
}

export function deleteGroup(groupId: string): Promise<void> {
  return call('DELETE', `/api/groups/${path(groupId)}`);
}

export interface WorkflowStatus {
  id: string;
  name: string;
  customerName: string;
  category: Category;
}

export interface WorkflowTransition {
  id: string;
  name: string;
  from: string[];
  to: string;
  portal: boolean;
  resolution: string;
  requireComment: boolean;
}

export interface Workflow {
  statuses: WorkflowStatus[];
  initial: string;
  transitions: WorkflowTransition[];
  resolutions: string[];
}

export function getWorkflow(projectId: string): Promise<Workflow> {
  return call('GET', `/api/projects/${path(projectId)}/workflow`);
}

export function saveWorkflow(projectId: string, wf: Workflow): Promise<Workflow> {
  return call('PUT', `/api/projects/${path(projectId)}/workflow`, wf);
}

export interface IndexState {
  name: string;
  state: 'ready' | 'building';
  done: number;
  total: number;
  started?: string;
  finished?: string;
}

export async function getIndexes(): Promise<IndexState[]> {
  return (await call<{ indexes: IndexState[] }>('GET', '/api/reindex')).indexes;
}

export async function reindex(): Promise<IndexState[]> {
  return (await call<{ indexes: IndexState[] }>('POST', '/api/reindex')).indexes;
}
