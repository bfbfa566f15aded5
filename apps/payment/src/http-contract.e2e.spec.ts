import { describeHttpContract, mintToken } from '@seckill/testing';
import { AppModule } from './app.module';

// The HTTP error contract every service shares against a real payment service, POST /api/payments included.
describeHttpContract('payment', (config) => AppModule.register(config), {
  post: (config) => ({ path: '/api/payments', token: mintToken(config, 42) }),
});
