import { SwitchValues } from '@seckill/flow-control';

/** A degradation plan: a named set of switch values, applied in one action and reverted in one. */
export interface PlanDefinition {
  readonly title: string;
  readonly description: string;
  readonly switches: Readonly<Partial<SwitchValues>>;
}

const LEVEL_1 = {
  registration: false,
  orderQueries: false,
  resultPollSeconds: 5,
  catalogCacheOnly: true,
} as const satisfies Partial<SwitchValues>;

const LEVEL_2 = { ...LEVEL_1, purchaseShedPercent: 50 } as const satisfies Partial<SwitchValues>;

const LEVEL_3 = { ...LEVEL_2, clientDropPercent: 50 } as const satisfies Partial<SwitchValues>;

/**
 * The three levels of the playbook, each including the one below, so that escalating is one action and so is
 * stepping back. At most one plan is in force at a time (see PlansService).
 */
export const PLANS = {
  level1: {
    title: 'Level 1: non-core reads off',
    description:
      'Registration closed, order queries off, result polling slowed to every 5 s, the catalog served from its ' +
      'caches only. Purchases are untouched. Can be entered automatically around each start (autoDegradeMinutes).',
    switches: LEVEL_1,
  },
  level2: {
    title: 'Level 2: shed purchases',
    description: 'Level 1, and half of the purchases shed at the back end with 503 DEGRADED before any work.',
    switches: LEVEL_2,
  },
  level3: {
    title: 'Level 3: clients drop clicks',
    description: 'Level 2, and well-behaved clients told to drop half of the clicks before sending (GET /api/client-config).',
    switches: LEVEL_3,
  },
} as const satisfies Record<string, PlanDefinition>;

export type PlanName = keyof typeof PLANS;

export const PLAN_NAMES = Object.keys(PLANS) as readonly PlanName[];

/** Whether `name` is the name of a plan (an own key only). */
export function isPlanName(name: string): name is PlanName {
  return Object.prototype.hasOwnProperty.call(PLANS, name);
}

/** The plan that enters automatically around an activity's start. */
export const AUTO_PLAN: PlanName = 'level1';
