export { AuthModule } from './auth.module';
export { DEFAULT_LOGIN_THROTTLE_LIMITS } from './login-throttle';
export type { LoginThrottleLimits } from './login-throttle';
