import { Injectable } from '@nestjs/common';
import { isSwitchName, SWITCHES, SwitchesService, SwitchValues } from '@seckill/flow-control';
import { Actor, AuditService } from '../audit/audit.service';

/** The operator's side of the switches: every change is audited with the value it replaced. */
@Injectable()
export class AdminSwitchesService {
  constructor(
    private readonly switches: SwitchesService,
    private readonly audit: AuditService,
  ) {}

  values(): Readonly<SwitchValues> {
    return this.switches.all();
  }

  /** Every switch's definition (type, range or values, default, description), for a client to render them. */
  definitions(): typeof SWITCHES {
    return SWITCHES;
  }

  /** Sets a switch (404 unknown name, 400 bad value, nothing changed then) and records who changed it from what. */
  async set(actor: Actor, name: string, value: unknown): Promise<Readonly<SwitchValues>> {
    const before = isSwitchName(name) ? this.switches.get(name) : undefined;
    const values = await this.switches.set(name, value);
    await this.audit.record(actor, 'switch.set', name, before, value);
    return values;
  }
}
