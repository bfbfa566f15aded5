import { ActivityView } from '@seckill/contracts';

/**
 * The title every demo activity starts with, the admin service's seed (SEED_DEMO, into an empty database) as well as
 * the ones made here: how npm start recognises a demo from an earlier day.
 */
export const DEMO_TITLE_PREFIX = 'Demo:';
/**
 * Settings of the latest demo that a new one inherits when the API reports them and they are on (the front door's:
 * off is the admin API's default, and an "off" value is not always one it accepts back).
 */
const INHERITED_SETTINGS: Record<string, (value: unknown) => boolean> = {
  waitingRoom: (value) => typeof value === 'object' && value !== null && (value as { enabled?: unknown }).enabled === true,
  staggerSeconds: (value) => typeof value === 'number' && value > 0,
  maxParticipants: (value) => typeof value === 'number' && value > 0,
  challengeDifficulty: (value) => typeof value === 'number' && value > 0,
};
/** A demo that opens later than this, or closes sooner, is not one a newcomer can try now: another is made. */
const USABLE_WITHIN_MS = 10 * 60_000;
const OPENS_AFTER_MS = 60_000;
const LASTS_MS = 24 * 3600_000;

export interface DemoUrls {
  auth: string;
  seckill: string;
  admin: string;
}

export interface DemoOutcome {
  activity: ActivityView;
  /** True when this start made it, false when an earlier one's is still usable. */
  created: boolean;
}

/**
 * Whether a demo activity can be tried now or within minutes: on sale with units left and a while to go, or opening
 * soon. Pure, for the tests and the banner.
 */
export function usableDemo(activity: ActivityView, now: number): boolean {
  if (!activity.title.startsWith(DEMO_TITLE_PREFIX)) return false;
  const startAt = Date.parse(activity.startAt);
  const endAt = Date.parse(activity.endAt);
  if (endAt - now < USABLE_WITHIN_MS) return false;
  if (activity.status === 'ACTIVE') return activity.remaining > 0;
  return activity.status === 'UPCOMING' && startAt - now <= USABLE_WITHIN_MS;
}

/** Of the usable demos, the one on sale (latest to end), else the one opening first. */
export function pickDemo(activities: ActivityView[], now: number): ActivityView | undefined {
  const usable = activities.filter((activity) => usableDemo(activity, now));
  const active = usable.filter((activity) => activity.status === 'ACTIVE').sort((a, b) => Date.parse(b.endAt) - Date.parse(a.endAt));
  const upcoming = usable.filter((activity) => activity.status === 'UPCOMING').sort((a, b) => Date.parse(a.startAt) - Date.parse(b.startAt));
  return active[0] ?? upcoming[0];
}

async function json<T>(url: string, init: RequestInit, what: string): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Makes sure a demo activity is on sale or about to be, through the services' own API as any client would: reuses
 * a demo while it is usable (the admin service's seed, or one made on an earlier day), else logs in as the admin and
 * creates one that opens a minute from now and lasts a day, with the latest demo's settings (the admin service
 * prewarms it at once). A database reused day after day thus always has one.
 */
export async function ensureDemoActivity(
  urls: DemoUrls,
  admin: { username: string; password: string },
  now = Date.now(),
): Promise<DemoOutcome> {
  const activities = await json<ActivityView[]>(`${urls.seckill}/api/activities`, {}, 'listing the activities');
  const existing = pickDemo(activities, now);
  if (existing) return { activity: existing, created: false };
  const latest = activities.filter((activity) => activity.title.startsWith(DEMO_TITLE_PREFIX)).sort((a, b) => b.id - a.id)[0];
  const inherited: Record<string, unknown> = {};
  for (const [key, isOn] of Object.entries(INHERITED_SETTINGS)) {
    const value = latest ? (latest as unknown as Record<string, unknown>)[key] : undefined;
    if (isOn(value)) inherited[key] = value;
  }

  const login = await json<{ accessToken: string }>(
    `${urls.auth}/api/auth/login`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) },
    'logging in as the admin to create the demo activity',
  );
  const activity = await json<ActivityView>(
    `${urls.admin}/api/admin/activities`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` },
      body: JSON.stringify({
        title: `${DEMO_TITLE_PREFIX} mechanical keyboard, 60% off`,
        description: 'Made by npm start: 100 units, one per shopper, on sale from a minute after start for a day.',
        priceCents: 3999,
        originalPriceCents: 9999,
        stock: 100,
        stockShards: 1,
        startAt: new Date(now + OPENS_AFTER_MS).toISOString(),
        endAt: new Date(now + LASTS_MS).toISOString(),
        paymentTimeoutSeconds: 900,
        ...inherited,
      }),
    },
    'creating the demo activity',
  );
  return { activity, created: true };
}
