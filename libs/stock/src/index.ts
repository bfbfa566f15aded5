export * from './stock-keys';
export * from './stock.service';
export * from './stock.module';
export * from './hot-state.service';
export * from './hot-state.module';
