import 'reflect-metadata';
import { configurePaysim } from '@seckill/paysim';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('paysim', (config) => AppModule.register(config), configurePaysim);
