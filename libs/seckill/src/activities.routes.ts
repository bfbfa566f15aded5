/**
 * The activity routes, defined once: ActivitiesController's decorators and the purchase fast path's hooks both use
 * these, so the two doors of the purchase endpoint cannot drift apart.
 */
export const ACTIVITIES_PATH = 'api/activities';
export const PURCHASE_PATH = ':id/purchase';
/** The purchase route as Fastify reports it in request.routeOptions.url. */
export const PURCHASE_ROUTE = `/${ACTIVITIES_PATH}/${PURCHASE_PATH}`;
/**
 * A purchase's request URL, for code that sees the request before Fastify routes it (the sold-out gate, the bench's
 * purchase floor): the purchase route with no query string, the id captured as ActivityIdPipe spells one.
 */
export const PURCHASE_URL = new RegExp(`^/${ACTIVITIES_PATH}/([1-9][0-9]{0,9})/purchase$`);
