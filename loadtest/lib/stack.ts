import { ActivityView, SERVICES, ServiceName } from '@seckill/contracts';
import { AccessTokenService, AppConfig, servicePort } from '@seckill/platform';

/**
 * Where the services of an already running stack answer, and the admin API calls the load test makes: the stack is
 * addressed either service by service on `npm start`'s ports (the configuration's HOST and *_PORT) or through one
 * base URL (the compose gateway on 8080, which routes by prefix). paysim is internal and never behind the gateway.
 */
export interface StackUrls {
  auth: string;
  seckill: string;
  order: string;
  payment: string;
  admin: string;
  paysim: string;
  /** The ports the services listen on, when the stack runs on this machine (for their CPU from /proc). */
  ports: Partial<Record<ServiceName, number>>;
  /** 'ports': npm start's ports; 'gateway': one base URL. */
  mode: 'ports' | 'gateway';
}

export function stackUrls(config: AppConfig, target: string | undefined, paysimUrl: string | undefined): StackUrls {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const own = (name: ServiceName) => `http://${host}:${servicePort(name, config)}`;
  const ports: Partial<Record<ServiceName, number>> = {};
  for (const name of Object.keys(SERVICES) as ServiceName[]) ports[name] = servicePort(name, config);
  if (!target) {
    return { auth: own('auth'), seckill: own('seckill'), order: own('order'), payment: own('payment'), admin: own('admin'), paysim: paysimUrl ?? own('paysim'), ports, mode: 'ports' };
  }
  const base = target.replace(/\/+$/, '');
  return { auth: base, seckill: base, order: base, payment: base, admin: base, paysim: paysimUrl ?? own('paysim'), ports: {}, mode: 'gateway' };
}

/**
 * Whether seckill answers: its readiness check, or, through the compose gateway (which answers /health/live itself and
 * routes no other health check: 404), the activity list, which the gateway routes to seckill.
 */
export async function assertSeckillReady(base: string): Promise<void> {
  const ready = await fetch(`${base}/health/ready`);
  if (ready.ok) return;
  if (ready.status !== 404) throw new Error(`${ready.status}`);
  const list = await fetch(`${base}/api/activities`);
  if (!list.ok) throw new Error(`/health/ready 404, /api/activities ${list.status}`);
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: ${status} ${body.slice(0, 500)}`);
  }
}

/** fetch() with an optional JSON body and headers; parses the JSON answer, throws HttpError on a status ≥ 400. */
export async function requestJson<T>(
  url: string,
  what: string,
  options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new HttpError(response.status, text, what);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface FrontDoorSettings {
  waitingRoom?: { enabled: boolean; admitPerSecond: number };
  staggerSeconds?: number;
  maxParticipants?: number;
  challengeDifficulty?: number;
}

export interface NewActivity extends FrontDoorSettings {
  title: string;
  stock: number;
  startAt: Date;
  endAt: Date;
  priceCents?: number;
  stockShards?: number;
  paymentTimeoutSeconds?: number;
}

/**
 * The admin API as the load test uses it. The token: the configured admin's login when it works (the audit log then
 * names the admin), else one minted from JWT_SECRET with the admin role, as every service verifies it locally.
 */
export class AdminApi {
  private constructor(
    private readonly urls: StackUrls,
    readonly token: string,
    readonly how: string,
  ) {}

  static async connect(urls: StackUrls, config: AppConfig): Promise<AdminApi> {
    try {
      const login = await requestJson<{ accessToken: string }>(`${urls.auth}/api/auth/login`, 'admin login', {
        body: { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
      });
      return new AdminApi(urls, login.accessToken, `logged in as ${config.ADMIN_USERNAME}`);
    } catch {
      const token = new AccessTokenService(config).sign({ userId: '1', role: 'admin' }).accessToken;
      return new AdminApi(urls, token, 'admin token minted from JWT_SECRET (the admin login was refused)');
    }
  }

  /** Creates an activity and loads its stock into Redis; resolves once the seckill service serves it. */
  async createActivity(spec: NewActivity): Promise<ActivityView> {
    const created = await requestJson<ActivityView>(`${this.urls.admin}/api/admin/activities`, 'creating the activity', {
      token: this.token,
      body: {
        description: 'Made by npm run loadtest.',
        priceCents: 1999,
        stockShards: 1,
        paymentTimeoutSeconds: 900,
        ...spec,
        startAt: spec.startAt.toISOString(),
        endAt: spec.endAt.toISOString(),
      },
    });
    await requestJson(`${this.urls.admin}/api/admin/activities/${created.id}/prewarm`, 'prewarming the activity', { method: 'POST', token: this.token });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const response = await fetch(`${this.urls.seckill}/api/activities/${created.id}`);
      if (response.ok) return (await response.json()) as ActivityView;
      if (Date.now() > deadline) throw new Error(`the seckill service does not serve activity ${created.id} (${response.status})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  reconciliation(activityId: number): Promise<Reconciliation> {
    return requestJson<Reconciliation>(`${this.urls.admin}/api/admin/reconciliation?activityId=${activityId}`, 'reconciliation', { token: this.token });
  }

  orders(activityId: number, cursor: string | null): Promise<{ items: Array<{ id: string; userId: string; status: string; createdAt: string }>; nextCursor: string | null }> {
    const query = `activityId=${activityId}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    return requestJson(`${this.urls.admin}/api/admin/orders?${query}`, 'listing orders', { token: this.token });
  }

  stats(): Promise<{ relay: { backlog: number }; activities: Array<{ id: number; remaining: number; reserved: number; ordersCreated: number }> }> {
    return requestJson(`${this.urls.admin}/api/admin/stats`, 'stats', { token: this.token });
  }
}

/** GET /api/admin/reconciliation, the fields the load test reads. */
export interface Reconciliation {
  consistent: boolean;
  activityId: number;
  stock: number;
  remaining: number;
  reserved: number;
  orders: { pendingPayment: number; paid: number; cancelled: number };
  payments: Record<string, number>;
  ledger: { charged: number; refunded: number };
  inFlight: number;
  lost: unknown[];
  mismatches: string[];
}
