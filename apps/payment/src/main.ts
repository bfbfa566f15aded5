import 'reflect-metadata';
import { configurePayments } from '@seckill/payments';
import { runService } from '@seckill/platform';
import { AppModule } from './app.module';

void runService('payment', (config) => AppModule.register(config), configurePayments);
