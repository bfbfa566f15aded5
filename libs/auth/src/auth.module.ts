import { Module } from '@nestjs/common';
import { SwitchesModule } from '@seckill/flow-control';
import { AdminAccountService } from './admin-account.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';
import { PasswordHashGate } from './password-hash-gate';
import { PasswordHasher } from './password-hasher';
import { RegistrationThrottle } from './registration-throttle';
import { UserRepository } from './user.repository';

/**
 * The auth service's feature: registration, login (rate limited), the caller's account, and the admin account
 * ensured at start. Needs PlatformModule.forRoot with the database and Redis.
 */
@Module({
  imports: [SwitchesModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    AdminAccountService,
    UserRepository,
    LoginThrottle,
    RegistrationThrottle,
    PasswordHashGate,
    // Built by hand: its constructor takes plain scrypt parameters, not injectables.
    { provide: PasswordHasher, useFactory: () => new PasswordHasher() },
  ],
})
export class AuthModule {}
