import { describeHttpContract, mintToken } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (docs/api.md, "Errors") against a real admin service.
describeHttpContract('admin', (config) => AppModule.register(config), {
  post: (config) => ({ path: '/api/admin/activities', token: mintToken(config, 1, 'admin') }),
  emptyPost: (config) => ({ path: '/api/admin/activities/1/prewarm', token: mintToken(config, 1, 'admin') }),
  param: (config) => ({ path: '/api/admin/activities/:param', token: mintToken(config, 1, 'admin') }),
});
