export * from './paysim.module';
export * from './paysim.service';
