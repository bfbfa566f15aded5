import { describeHttpContract } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (shared/API.md, "Errors") against a real payment service.
// Once POST /api/payments exists, pass it as `post` so the body checks run here too.
describeHttpContract('payment', (config) => AppModule.register(config));
