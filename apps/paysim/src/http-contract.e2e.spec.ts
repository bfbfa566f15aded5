import { describeHttpContract } from '@seckill/testing';
import { configurePaysim } from '@seckill/paysim';
import { AppModule } from './app.module';

// The HTTP error contract every service shares against a real paysim service, its charge route included.
describeHttpContract('paysim', (config) => AppModule.register(config), {
  post: () => ({ path: '/provider/charges' }),
  configure: (app) => configurePaysim(app),
});
