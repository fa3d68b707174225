// Dates as the viewer reads them: their language, their time zone.
// The server sends RFC 3339 UTC times and YYYY-MM-DD days.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
// A YYYY-MM-DD day is a calendar day, not an instant: read and shown in UTC
// so it never shifts by one across time zones.
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

function valid(d: Date): boolean {
  return !Number.isNaN(d.getTime());
}

/** "12 Mar 2026, 14:05" in the viewer's zone; '' for an unreadable time. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return valid(d) ? dateTime.format(d) : '';
}

/** "12 Mar 2026" in the viewer's zone. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  return valid(d) ? dateOnly.format(d) : '';
}

/** A YYYY-MM-DD field value as "12 Mar 2026"; anything else as it came. */
export function formatDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value + 'T00:00:00Z');
  return valid(d) ? day.format(d) : value;
}
