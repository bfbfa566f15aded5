export * from './orders.module';
export * from './order-cancellation.service';
export * from './order-creation.service';
export * from './order-timeouts';
export * from './reservation.sweeper';
export * from './activity-retirer';
