import { describeHttpContract, mintToken } from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The shared HTTP error contract (docs/api.md, "Errors") against a real seckill service.
describeHttpContract('seckill', (config) => AppModule.register(config), {
  post: (config) => ({ path: '/api/activities/1/purchase', token: mintToken(config, 42) }),
  emptyPost: (config) => ({ path: '/api/activities/1/token', token: mintToken(config, 42) }),
  param: () => ({ path: '/api/activities/:param' }),
  configure: configureSeckill,
  // The empty-body checks ask one user's token a dozen times in a row: more than the per-user token limit allows.
  env: { RATE_LIMIT_TOKEN_PER_USER_PER_SECOND: '1000' },
});
