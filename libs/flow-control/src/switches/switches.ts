/**
 * The degradation switches (docs/api.md, admin): their names, types, ranges and defaults, and the pure rules to
 * check a value an operator sends and to read one back from Redis.
 */
import { BREAKER_MODES } from '../breaker/circuit-breaker';

/** A switch that turns a feature on or off. */
export interface BooleanSwitchDefinition {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly description: string;
}

/** A switch that holds a whole number within a closed range. */
export interface IntegerSwitchDefinition {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** A switch that holds one of a fixed list of names (a mode). */
export interface EnumSwitchDefinition {
  readonly type: 'enum';
  readonly default: string;
  readonly values: readonly string[];
  readonly description: string;
}

/** The definition of one switch. */
export type SwitchDefinition = BooleanSwitchDefinition | IntegerSwitchDefinition | EnumSwitchDefinition;

/** Every switch, by name. The defaults are what a fresh deployment (no value stored) runs with. */
export const SWITCHES = {
  registration: {
    type: 'boolean',
    default: true,
    description: 'New accounts may register (false answers 503 DEGRADED).',
  },
  orderQueries: {
    type: 'boolean',
    default: true,
    description: 'Non-core reads such as order queries are served (false answers 503 DEGRADED).',
  },
  purchaseShedPercent: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 100,
    description: 'Share of purchases, in percent, shed with 503 DEGRADED before any work.',
  },
  resultPollSeconds: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 60,
    description:
      "Result polling slowed: each shopper's result is answered at most once per this many seconds per instance " +
      '(sooner: 503 DEGRADED with Retry-After); 0 = no limit.',
  },
  catalogCacheOnly: {
    type: 'boolean',
    default: false,
    description:
      'Catalog reads (list, activity, stock) are served from the in-process and Redis copies only, never from MySQL; ' +
      'a miss answers 503 DEGRADED. Purchases are not affected.',
  },
  tokenIssuance: {
    type: 'boolean',
    default: true,
    description: "Purchase tokens are issued (false pauses the sale's entrance: 503 DEGRADED).",
  },
  clientDropPercent: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 100,
    description: 'Share of buy clicks, in percent, the shop page drops before sending (GET /api/client-config).',
  },
  resultPollMs: {
    type: 'integer',
    default: 1000,
    min: 200,
    max: 9999,
    description: 'How often, in ms, the shop page polls a purchase result at first (it backs off from there).',
  },
  clickThrottleMs: {
    type: 'integer',
    default: 5000,
    min: 0,
    max: 9999,
    description: 'The shop page sends at most one buy click per this many ms.',
  },
  autoDegradeMinutes: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 60,
    description:
      "Plan level 1 is entered automatically this many minutes before each activity's start and left as many " +
      'minutes after (0 = off).',
  },
  paymentBreaker: {
    type: 'enum',
    default: 'AUTO',
    values: BREAKER_MODES,
    description:
      "Payment provider circuit breaker: AUTO (opens and closes on the provider's errors and slowness), " +
      'FORCED_OPEN (every payment answers 503 PAYMENT_UNAVAILABLE without calling the provider), DISABLED (every call goes through).',
  },
} as const satisfies Record<string, SwitchDefinition>;

/** The name of a switch. */
export type SwitchName = keyof typeof SWITCHES;

/** The value type of every switch. */
export type SwitchValues = {
  [N in SwitchName]: (typeof SWITCHES)[N] extends BooleanSwitchDefinition
    ? boolean
    : (typeof SWITCHES)[N] extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : number;
};

/** The switch names, in definition order. */
export const SWITCH_NAMES = Object.keys(SWITCHES) as readonly SwitchName[];

/** Whether `name` is the name of a switch (an own key: "toString" is not a switch). */
export function isSwitchName(name: string): name is SwitchName {
  return Object.prototype.hasOwnProperty.call(SWITCHES, name);
}

/** Every switch at its default. */
export function defaultSwitchValues(): SwitchValues {
  return {
    registration: SWITCHES.registration.default,
    orderQueries: SWITCHES.orderQueries.default,
    purchaseShedPercent: SWITCHES.purchaseShedPercent.default,
    resultPollSeconds: SWITCHES.resultPollSeconds.default,
    catalogCacheOnly: SWITCHES.catalogCacheOnly.default,
    tokenIssuance: SWITCHES.tokenIssuance.default,
    clientDropPercent: SWITCHES.clientDropPercent.default,
    resultPollMs: SWITCHES.resultPollMs.default,
    clickThrottleMs: SWITCHES.clickThrottleMs.default,
    autoDegradeMinutes: SWITCHES.autoDegradeMinutes.default,
    paymentBreaker: SWITCHES.paymentBreaker.default,
  };
}

/**
 * Why `value` is not acceptable for the switch, or undefined when it is. Strict on types: the admin API takes JSON,
 * so "true" or "50" as strings are a client's mistake worth reporting rather than guessing at.
 */
export function switchValueProblem(name: SwitchName, value: unknown): string | undefined {
  const definition: SwitchDefinition = SWITCHES[name];
  if (definition.type === 'boolean') {
    return typeof value === 'boolean' ? undefined : `${name} must be a boolean (true or false), got ${describe(value)}`;
  }
  if (definition.type === 'enum') {
    return typeof value === 'string' && definition.values.includes(value)
      ? undefined
      : `${name} must be one of ${definition.values.join(', ')}, got ${describe(value)}`;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= definition.min && value <= definition.max) {
    return undefined;
  }
  return `${name} must be an integer from ${definition.min} to ${definition.max}, got ${describe(value)}`;
}

/** The stored (Redis hash field) form of a valid value. */
export function encodeSwitchValue(value: boolean | number | string): string {
  return String(value);
}

/** A stored value read back, or undefined when it is missing or malformed (the caller then uses the default). */
export function decodeSwitchValue(name: SwitchName, stored: string | undefined): boolean | number | string | undefined {
  if (stored === undefined) return undefined;
  const definition: SwitchDefinition = SWITCHES[name];
  if (definition.type === 'boolean') {
    if (stored === 'true') return true;
    if (stored === 'false') return false;
    return undefined;
  }
  if (definition.type === 'enum') return definition.values.includes(stored) ? stored : undefined;
  if (!/^-?\d{1,4}$/.test(stored)) return undefined;
  const value = Number(stored);
  return value >= definition.min && value <= definition.max ? value : undefined;
}

/**
 * Whether to shed this request, given the share to shed in percent: 0 never sheds, 100 always does.
 * @param random a source of numbers in [0, 1); inject one in tests
 */
export function shouldShed(percent: number, random: () => number = Math.random): boolean {
  if (!(percent > 0)) return false;
  if (percent >= 100) return true;
  return random() * 100 < percent;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  let json: string;
  try {
    json = JSON.stringify(value) ?? typeof value;
  } catch {
    json = typeof value;
  }
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}
