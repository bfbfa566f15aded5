import 'reflect-metadata';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('admin', (config) => AppModule.register(config));
