import { describeHttpContract, mintToken } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (docs/api.md, "Errors") against a real order service.
describeHttpContract('order', (config) => AppModule.register(config), {
  // The order API has no POST that takes a body: cancel takes none.
  emptyPost: (config) => ({ path: '/api/orders/1/cancel', token: mintToken(config, 42) }),
  param: (config) => ({ path: '/api/orders/:param', token: mintToken(config, 42) }),
});
