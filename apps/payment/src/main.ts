import 'reflect-metadata';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('payment', (config) => AppModule.register(config));
