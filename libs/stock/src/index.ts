export * from './stock-keys';
export * from './stock.service';
export * from './stock.module';
