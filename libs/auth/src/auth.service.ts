import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { SwitchesService } from '@seckill/flow-control';
import { AccessTokenService, DomainError, MetricsService, Principal } from '@seckill/platform';
import { AccessTokenDto } from './dto/access-token.dto';
import { LoginDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { RegisterDto } from './dto/register.dto';
import { RegisteredUserDto } from './dto/registered-user.dto';
import { LoginThrottle } from './login-throttle';
import { PasswordHashGate } from './password-hash-gate';
import { PasswordHasher } from './password-hasher';
import { RegistrationThrottle } from './registration-throttle';
import { UserRecord, UserRepository } from './user.repository';

/** Said for an unknown username and a wrong password alike, so the answer does not tell which one was wrong. */
const WRONG_LOGIN = 'wrong username or password';

/**
 * While registration is switched off: operators close it for minutes (a sale's peak), not seconds, so clients
 * need not come back every second.
 */
const REGISTRATION_CLOSED_RETRY_AFTER_SECONDS = 30;

type LoginOutcome = 'success' | 'wrong_credentials' | 'throttled' | 'busy' | 'error';
type RegistrationOutcome = 'created' | 'username_taken' | 'closed' | 'throttled' | 'busy';

/** Registration, login and the caller's own account. */
@Injectable()
export class AuthService {
  private readonly logins: Counter<'outcome'>;
  private readonly registrations: Counter<'outcome'>;

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly registrationThrottle: RegistrationThrottle,
    private readonly hashGate: PasswordHashGate,
    private readonly tokens: AccessTokenService,
    private readonly switches: SwitchesService,
    metrics: MetricsService,
  ) {
    this.logins = metrics.counter('auth_logins_total', 'Login attempts by outcome', ['outcome']);
    this.registrations = metrics.counter('auth_registrations_total', 'Registrations by outcome', ['outcome']);
  }

  /**
   * Creates a user account.
   * @param ip the client's address, for the per-address limit
   * @throws DomainError DEGRADED while the `registration` switch is off, RATE_LIMITED past the per-address limit,
   *   BUSY while the process hashes as many passwords as registrations may, USERNAME_TAKEN for an existing username
   */
  async register(dto: RegisterDto, ip: string): Promise<RegisteredUserDto> {
    if (!this.switches.get('registration')) {
      this.countRegistration('closed');
      throw new DomainError('DEGRADED', 'registration is closed for the moment', {
        retryAfterSeconds: REGISTRATION_CLOSED_RETRY_AFTER_SECONDS,
      });
    }
    try {
      await this.registrationThrottle.admit(ip);
    } catch (error) {
      this.countRegistration(error instanceof DomainError && error.code === 'RATE_LIMITED' ? 'throttled' : 'busy');
      throw error;
    }
    let passwordHash: string;
    try {
      passwordHash = await this.hashGate.run('register', () => this.hasher.hash(dto.password));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'BUSY') this.countRegistration('busy');
      throw error;
    }
    const user = await this.users.create(dto.username, passwordHash, 'user');
    if (user === undefined) {
      this.countRegistration('username_taken');
      throw new DomainError('USERNAME_TAKEN', `the username "${dto.username}" is taken`);
    }
    this.countRegistration('created');
    return { id: user.id.toString(), username: user.username };
  }

  /**
   * Checks a username and password and issues an access token.
   * @param ip the client's address (behind a trusted proxy, the one it forwarded), for the per-address limit
   * @throws DomainError RATE_LIMITED after too many failures for the username and address, the username or the
   *   address, or too many logins from the address; BUSY while the process hashes as many passwords as it may;
   *   UNAUTHENTICATED for a wrong username or password
   */
  async login(dto: LoginDto, ip: string): Promise<AccessTokenDto> {
    const admission = await this.throttle.admit(dto.username, ip);
    if (!admission.admitted) {
      this.countLogin('throttled');
      const message = admission.reason === 'logins' ? 'too many logins from your address; try again later' : 'too many failed logins; try again later';
      throw new DomainError('RATE_LIMITED', message, {
        retryAfterSeconds: admission.retryAfterSeconds,
      });
    }
    let user: UserRecord | undefined;
    try {
      user = await this.hashGate.run('login', () => this.verify(dto.username, dto.password));
    } catch (error) {
      await this.throttle.abandoned(admission.attempt);
      this.countLogin(error instanceof DomainError && error.code === 'BUSY' ? 'busy' : 'error');
      throw error;
    }
    if (user === undefined) {
      // The admitted attempt stays counted: that is the failure.
      await this.throttle.failed(admission.attempt);
      this.countLogin('wrong_credentials');
      throw new DomainError('UNAUTHENTICATED', WRONG_LOGIN);
    }
    await this.throttle.succeeded(admission.attempt);
    this.countLogin('success');
    return this.tokens.sign({ userId: user.id.toString(), role: user.role });
  }

  /**
   * The caller's account, read from the database rather than the token, so a changed role shows at once.
   * @throws DomainError UNAUTHENTICATED when the account no longer exists
   */
  async me(principal: Principal): Promise<MeDto> {
    const user = await this.users.findById(BigInt(principal.userId));
    if (user === undefined) throw new DomainError('UNAUTHENTICATED', 'the account of this access token no longer exists');
    return { id: user.id.toString(), username: user.username, role: user.role };
  }

  /** The user whose password this is, or undefined; an unknown username costs the same hashing as a known one. */
  private async verify(username: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.users.findByUsername(username);
    if (user === undefined) {
      await this.hasher.spend(password);
      return undefined;
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) return undefined;
    if (this.hasher.needsRehash(user.passwordHash)) {
      // The password is at hand only now: move the hash to the current parameters.
      await this.users.update(user.id, { passwordHash: await this.hasher.hash(password) });
    }
    return user;
  }

  private countLogin(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  private countRegistration(outcome: RegistrationOutcome): void {
    this.registrations.inc({ outcome });
  }
}
