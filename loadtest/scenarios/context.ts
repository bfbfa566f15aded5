import { AccessTokenService, AppConfig } from '@seckill/platform';
import { OrderReader } from '../lib/invariants';
import { AdminApi, StackUrls } from '../lib/stack';
import { Shopper } from '../lib/shopper';

/** The command line, parsed (loadtest.ts documents each). */
export interface LoadtestOptions {
  shoppers: number;
  stock: number;
  connections: number;
  frontDoor: boolean;
  admitPerSecond: number;
  staggerSeconds: number;
  challengeDifficulty: number;
  durationSeconds: number;
  failShare: number;
  maxSeconds: number;
  drainTimeoutSeconds: number;
  progress: boolean;
}

/** A sale a phase made, for the phases after it in `full` (the storm hits it, its winners pay). */
export interface Sale {
  activityId: number;
  stock: number;
  winners: Shopper[];
  /** Status counts of every request sent to it so far (the invariants look for 5xx over all of them). */
  statuses: Record<string, Record<string, number>>;
}

export interface LoadtestContext {
  config: AppConfig;
  urls: StackUrls;
  admin: AdminApi;
  /** Where orders are read for the invariants (MySQL, else the admin API). */
  orders: OrderReader;
  options: LoadtestOptions;
  /** Processes whose CPU is measured, by name. */
  pids: Record<string, number>;
  /** The last sale made, if any. */
  sale?: Sale;
  /** `count` fresh synthetic users (ids never handed out before in this run) with access tokens. */
  users(count: number): Array<{ userId: string; authorization: string }>;
  log(message: string): void;
}

/**
 * Synthetic users: ids far above any a registration gives out (a base derived from the clock, so two runs never share
 * users), each with an access token minted from JWT_SECRET exactly as the auth service signs one (AccessTokenService:
 * fast-jwt, HS256, sub/role/exp). No registration storm: the services verify tokens locally and never look users up
 * on the purchase path.
 */
export function userFactory(config: AppConfig): (count: number) => Array<{ userId: string; authorization: string }> {
  const signer = new AccessTokenService(config);
  // 2e15 + up to 1e15: below 2^53, so the ids survive JSON as numbers too.
  let next = 2_000_000_000_000_000 + (Date.now() % 10_000_000_000) * 100_000;
  return (count) => {
    const users: Array<{ userId: string; authorization: string }> = [];
    for (let i = 0; i < count; i++) {
      const userId = String(next++);
      users.push({ userId, authorization: `Bearer ${signer.sign({ userId, role: 'user' }).accessToken}` });
    }
    return users;
  };
}

export function mergeStatuses(into: Record<string, Record<string, number>>, from: Record<string, Record<string, number>>): void {
  for (const [kind, byStatus] of Object.entries(from)) {
    const target = (into[kind] ??= {});
    for (const [status, n] of Object.entries(byStatus)) target[status] = (target[status] ?? 0) + n;
  }
}
