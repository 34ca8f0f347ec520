/**
 * Hash routes: the page is served at `/` only, so every view lives after `#`. Parsing and formatting
 * are inverse of each other; an unknown hash is the jobs list.
 */
import type { JobStatus } from '@ddinit/contracts';

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export type Route =
  | { view: 'jobs'; status?: JobStatus }
  | { view: 'job'; id: string }
  | { view: 'submit' }
  | { view: 'schedules' }
  | { view: 'schedule'; id: string }
  | { view: 'batches' }
  | { view: 'batch'; id: string };

/** Ids the API hands out: `<kind>_<base64url>`; anything else is not routed. */
const ID = /^[A-Za-z0-9_-]{1,128}$/;

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const [view, id, extra] = path.split('/').map((part) => safeDecode(part));
  if (extra === undefined && id !== undefined && ID.test(id)) {
    if (view === 'jobs') return { view: 'job', id };
    if (view === 'schedules') return { view: 'schedule', id };
    if (view === 'batches') return { view: 'batch', id };
  }
  if (id === undefined) {
    if (view === 'submit' || view === 'schedules' || view === 'batches') return { view };
  }
  const status = new URLSearchParams(query).get('status');
  const known = JOB_STATUSES.find((candidate) => candidate === status);
  return known ? { view: 'jobs', status: known } : { view: 'jobs' };
}

export function href(route: Route): string {
  switch (route.view) {
    case 'jobs':
      return route.status ? `#/jobs?status=${route.status}` : '#/jobs';
    case 'job':
      return `#/jobs/${encodeURIComponent(route.id)}`;
    case 'schedule':
      return `#/schedules/${encodeURIComponent(route.id)}`;
    case 'batch':
      return `#/batches/${encodeURIComponent(route.id)}`;
    default:
      return `#/${route.view}`;
  }
}

function safeDecode(part: string): string | undefined {
  if (part === '') return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
