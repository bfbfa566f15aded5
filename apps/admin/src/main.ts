import 'reflect-metadata';
import { configureAdmin } from '@seckill/admin';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('admin', (config) => AppModule.register(config), configureAdmin);
