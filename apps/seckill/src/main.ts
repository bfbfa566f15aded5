import 'reflect-metadata';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

void runService('seckill', (config) => AppModule.register(config), configureSeckill);
