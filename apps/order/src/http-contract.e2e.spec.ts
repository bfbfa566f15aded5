import { describeHttpContract, mintToken } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (shared/API.md, "Errors") against a real order service.
describeHttpContract('order', (config) => AppModule.register(config), {
  post: (config) => ({ path: '/api/orders/1/cancel', token: mintToken(config, 42) }),
});
