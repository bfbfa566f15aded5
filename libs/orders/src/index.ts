export * from './orders.module';
export * from './order-cancellation.service';
export * from './order-creation.service';
export * from './reservation.sweeper';
export * from './activity-retirer';
