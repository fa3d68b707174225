// The server writes an empty list as null in places (a Go nil slice: a
// request type's audience.domains, for one). Screens read lists without
// checking, so answers go through these first.

import type { Request, RequestType } from '../lib/requests';

export function typeOf(t: RequestType): RequestType {
  return {
    ...t,
    groupIds: t.groupIds ?? [],
    fields: (t.fields ?? []).map((f) => (f.options === null ? { ...f, options: undefined } : f)),
    audience: t.audience && {
      organizations: t.audience.organizations ?? [],
      domains: t.audience.domains ?? [],
    },
  };
}

export function requestOf(r: Request): Request {
  return {
    ...r,
    fields: r.fields ?? [],
    activity: (r.activity ?? []).map((a) => (a.attachments === null ? { ...a, attachments: undefined } : a)),
    attachments: r.attachments ?? [],
    participants: r.participants ?? [],
    organizations: r.organizations ?? [],
    transitions: r.transitions ?? [],
  };
}
