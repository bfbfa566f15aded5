import { describeHttpContract } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (docs/api.md, "Errors") against a real auth service.
describeHttpContract('auth', (config) => AppModule.register(config), { post: () => ({ path: '/api/auth/login' }) });
