import 'reflect-metadata';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('order', (config) => AppModule.register(config));
