/**
 * The admin API's authorization matrix: every route with a request an operator may send and the status it answers.
 * Anonymous callers get 401 and shoppers 403 on each, and nothing changes; an admin gets `ok`. Run by
 * operations.e2e.spec.ts; tools/security/access.e2e.spec.ts checks that every admin route the running service serves
 * is in it and sends each one forged tokens. A new admin route without a row here fails that test.
 */
export interface AdminRouteCase {
  method: string;
  path: string;
  body?: unknown;
  /** What an admin gets. */
  ok: number;
}

/** What the rows refer to: an activity that has not started, two jobs that failed for good, a sale window. */
export interface AdminRouteIds {
  activityId: number;
  retryJob: string;
  discardJob: string;
  startAt: string;
  endAt: string;
}

/** The admin routes checked apart from the table: the event stream never ends, so it is opened and closed instead. */
export const ADMIN_STREAM_PATH = '/api/admin/stream';

export function adminRouteCases(ids: AdminRouteIds): AdminRouteCase[] {
  const window = { startAt: ids.startAt, endAt: ids.endAt };
  return [
    { method: 'POST', path: '/api/admin/activities', body: { title: 'New', priceCents: 100, stock: 3, ...window }, ok: 201 },
    { method: 'GET', path: '/api/admin/activities', ok: 200 },
    { method: 'GET', path: `/api/admin/activities/${ids.activityId}`, ok: 200 },
    { method: 'PATCH', path: `/api/admin/activities/${ids.activityId}`, body: { title: 'Authz 2' }, ok: 200 },
    { method: 'POST', path: `/api/admin/activities/${ids.activityId}/prewarm`, ok: 200 },
    { method: 'GET', path: '/api/admin/switches', ok: 200 },
    { method: 'GET', path: '/api/admin/switches/definitions', ok: 200 },
    { method: 'PUT', path: '/api/admin/switches/orderQueries', body: { value: true }, ok: 200 },
    { method: 'GET', path: `/api/admin/reconciliation?activityId=${ids.activityId}`, ok: 200 },
    { method: 'GET', path: '/api/admin/orders', ok: 200 },
    { method: 'GET', path: '/api/admin/queues', ok: 200 },
    { method: 'GET', path: '/api/admin/stats', ok: 200 },
    { method: 'GET', path: '/api/admin/plans', ok: 200 },
    { method: 'POST', path: '/api/admin/plans/level1/apply', ok: 200 },
    { method: 'POST', path: '/api/admin/plans/level1/revert', ok: 200 },
    { method: 'GET', path: '/api/admin/audit', ok: 200 },
    { method: 'POST', path: `/api/admin/queues/order-create/jobs/${ids.retryJob}/retry`, ok: 200 },
    { method: 'POST', path: `/api/admin/queues/order-create/jobs/${ids.discardJob}/discard`, ok: 200 },
    { method: 'POST', path: '/api/admin/session', ok: 200 },
    { method: 'DELETE', path: '/api/admin/session', ok: 200 },
    { method: 'GET', path: '/admin/queues/api/queues', ok: 200 },
  ];
}
