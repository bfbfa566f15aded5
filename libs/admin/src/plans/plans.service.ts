import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { encodeSwitchValue, SwitchesService, SwitchValues } from '@seckill/flow-control';
import { DomainError, REDIS, RedisKeys } from '@seckill/platform';
import { Actor, AuditService } from '../audit/audit.service';
import { AUTO_PLAN, isPlanName, PlanDefinition, PlanName, PLAN_NAMES, PLANS } from './degradation-plans';

const APPLY = readFileSync(join(__dirname, 'plan-apply.lua'), 'utf8');
const REVERT = readFileSync(join(__dirname, 'plan-revert.lua'), 'utf8');

/** The plan in force, as stored beside the switches it set. */
export interface PlanState {
  name: PlanName;
  /** Entered by the automatic window around an activity's start (and left by it). */
  auto: boolean;
  /** The activity whose start the automatic entry is for. */
  activityId?: number;
  /** When it was applied (ISO-8601). */
  at: string;
  /** Who applied it: an operator's user id, or "system". */
  by: string;
  /** The stored values from before any plan, which a revert puts back (false: the switch was at its default). */
  saved?: Record<string, string | false>;
}

/** What apply and revert answer: the plan now in force (if any) and the switch values now in force. */
export interface PlanOutcome {
  active: PlanState | null;
  switches: Readonly<SwitchValues>;
}

type ScriptCall = (numberOfKeys: number, ...args: string[]) => Promise<[number, string]>;

/**
 * Applies and reverts the degradation plans on the switches, each in one Lua call that also keeps what a revert
 * needs (the values from before any plan), so that two operators, or an operator and the automatic window, cannot
 * interleave half a plan. The state lives in Redis with the switches: a restart of any service forgets nothing.
 */
@Injectable()
export class PlansService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly switches: SwitchesService,
    private readonly audit: AuditService,
  ) {
    const commands = redis as unknown as Record<string, unknown>;
    if (!commands.planApply) redis.defineCommand('planApply', { lua: APPLY });
    if (!commands.planRevert) redis.defineCommand('planRevert', { lua: REVERT });
  }

  /** The plans, in escalation order. */
  definitions(): Array<PlanDefinition & { name: PlanName }> {
    return PLAN_NAMES.map((name) => ({ name, ...PLANS[name] }));
  }

  /** The plan in force, read from Redis (null when none). */
  async active(): Promise<PlanState | null> {
    return parseState(await this.redis.hget(this.keys.switches, 'plan'));
  }

  /** Puts a plan in force (replacing the one in force, if any). 404 for an unknown plan. */
  async apply(actor: Actor, name: string): Promise<PlanOutcome> {
    const plan = this.known(name);
    await this.run(actor, plan, false);
    return this.outcome();
  }

  /** Takes the named plan out if it is in force (a no-op otherwise: reverting twice is harmless). */
  async revert(actor: Actor, name: string): Promise<PlanOutcome> {
    const plan = this.known(name);
    const before = this.switches.all();
    const [reverted, state] = await this.script('planRevert')(1, this.keys.switches, plan, '0', this.keys.switchesChannel);
    await this.switches.reload();
    if (reverted === 1) {
      await this.audit.record(actor, 'plan.revert', plan, { plan: parseState(state), switches: before }, { plan: null, switches: this.switches.all() });
    }
    return this.outcome();
  }

  /**
   * The automatic entry: applies the automatic plan for an activity unless some plan is already in force (an
   * operator's choice is never overridden). Returns whether it applied.
   */
  async enterAutomatically(activityId: number): Promise<boolean> {
    return this.run('system', AUTO_PLAN, true, activityId);
  }

  /** The automatic exit: reverts the plan in force only if the automatic entry put it there. */
  async leaveAutomatically(): Promise<boolean> {
    const before = this.switches.all();
    const [reverted, state] = await this.script('planRevert')(1, this.keys.switches, '', '1', this.keys.switchesChannel);
    await this.switches.reload();
    if (reverted !== 1) return false;
    await this.audit.record('system', 'plan.revert', parseState(state)?.name ?? AUTO_PLAN, { plan: parseState(state), switches: before }, {
      plan: null,
      switches: this.switches.all(),
    });
    return true;
  }

  private async run(actor: Actor, name: PlanName, onlyIfIdle: boolean, activityId?: number): Promise<boolean> {
    const state: PlanState = {
      name,
      auto: actor === 'system',
      ...(activityId === undefined ? {} : { activityId }),
      at: new Date().toISOString(),
      by: actor === 'system' ? 'system' : actor.userId,
    };
    const pairs = Object.entries(PLANS[name].switches).flatMap(([switchName, value]) => [switchName, encodeSwitchValue(value)]);
    const before = this.switches.all();
    const [applied, previous] = await this.script('planApply')(
      1,
      this.keys.switches,
      JSON.stringify(state),
      onlyIfIdle ? '1' : '0',
      this.keys.switchesChannel,
      ...pairs,
    );
    await this.switches.reload();
    if (applied !== 1) return false;
    await this.audit.record(actor, 'plan.apply', name, { plan: parseState(previous), switches: before }, { plan: state, switches: this.switches.all() });
    return true;
  }

  private async outcome(): Promise<PlanOutcome> {
    return { active: await this.active(), switches: this.switches.all() };
  }

  private known(name: string): PlanName {
    if (!isPlanName(name)) throw new DomainError('NOT_FOUND', `no plan named "${name}" (plans: ${PLAN_NAMES.join(', ')})`);
    return name;
  }

  private script(name: 'planApply' | 'planRevert'): ScriptCall {
    const command = (this.redis as unknown as Record<string, ScriptCall>)[name];
    return command.bind(this.redis);
  }
}

function parseState(raw: string | null | undefined): PlanState | null {
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<PlanState>;
    return typeof parsed.name === 'string' && isPlanName(parsed.name) ? (parsed as PlanState) : null;
  } catch {
    return null;
  }
}
