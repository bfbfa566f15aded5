import { describeHttpContract } from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (shared/API.md, "Errors") against a real paysim service.
// Once POST /provider/charges exists, pass it as `post` so the body checks run here too.
describeHttpContract('paysim', (config) => AppModule.register(config));
