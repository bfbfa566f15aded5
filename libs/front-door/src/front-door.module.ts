import { Module } from '@nestjs/common';
import { FrontDoorStore } from './front-door.store';

/** The front door's Redis state (waiting room, participants, used challenges). Needs PlatformModule's Redis. */
@Module({ providers: [FrontDoorStore], exports: [FrontDoorStore] })
export class FrontDoorModule {}
