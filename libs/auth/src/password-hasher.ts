import { randomBytes, scrypt as scryptCallback, ScryptOptions, timingSafeEqual } from 'node:crypto';

/** The cost parameters of one scrypt hash. */
export interface ScryptParameters {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/**
 * N=2^14, r=8, p=1: the parameters the scrypt paper and OWASP's password storage cheat sheet give for interactive
 * logins. One hash takes 16 MiB (128·N·r bytes) and 50–100 ms of one core, slow enough to make offline guessing of
 * a leaked table expensive, cheap enough that a login stays interactive and the 4 threads of libuv's pool (where
 * crypto.scrypt runs, off the event loop) serve a few dozen logins a second per instance. Raising them later is safe: stored hashes
 * describe their own parameters and are upgraded at the next successful login.
 */
export const DEFAULT_SCRYPT_PARAMETERS: Readonly<ScryptParameters> = Object.freeze({ N: 16384, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const SCHEME = 'scrypt';

/**
 * Bounds on what a stored hash may ask for: a corrupted or hostile row must not make one login allocate gigabytes
 * or spin for minutes.
 */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface ParsedHash extends ScryptParameters {
  salt: Buffer;
  key: Buffer;
}

function scrypt(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: parameters.N,
    r: parameters.r,
    p: parameters.p,
    // Node refuses anything above 32 MiB by default; give scrypt what these parameters need (128·N·r·p, doubled).
    maxmem: 256 * parameters.N * parameters.r * parameters.p,
  };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

function parseInteger(text: string | undefined): number {
  return text !== undefined && /^[1-9][0-9]{0,7}$/.test(text) ? Number(text) : NaN;
}

/** A stored hash split into its parts, or undefined when it is not one this hasher wrote. */
function parse(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined;
  const [, nText, rText, pText, saltText, keyText] = parts;
  const N = parseInteger(nText);
  const r = parseInteger(rText);
  const p = parseInteger(pText);
  if (!isPowerOfTwo(N) || N > MAX_N || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return undefined;
  if (!BASE64.test(saltText) || !BASE64.test(keyText)) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/**
 * Hashes and verifies passwords with Node's scrypt (no native dependency), a random 16-byte salt per password, and
 * a self-describing format, `scrypt$N$r$p$<salt base64>$<hash base64>`, so that parameters can change without
 * invalidating stored hashes. Provided by AuthModule through a factory (its constructor takes plain options).
 */
export class PasswordHasher {
  private readonly parameters: Readonly<ScryptParameters>;

  /** @param parameters cost of new hashes; tests may pass cheaper ones */
  constructor(parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS) {
    if (!isPowerOfTwo(parameters.N) || parameters.N > MAX_N || parameters.r < 1 || parameters.r > MAX_R) {
      throw new RangeError(`invalid scrypt parameters N=${parameters.N} r=${parameters.r} p=${parameters.p}`);
    }
    if (parameters.p < 1 || parameters.p > MAX_P) {
      throw new RangeError(`invalid scrypt parameters N=${parameters.N} r=${parameters.r} p=${parameters.p}`);
    }
    this.parameters = Object.freeze({ ...parameters });
  }

  /** A new hash of `password`, with a fresh random salt: hashing the same password twice gives different strings. */
  async hash(password: string): Promise<string> {
    const { N, r, p } = this.parameters;
    const salt = randomBytes(SALT_BYTES);
    const key = await scrypt(password, salt, KEY_BYTES, this.parameters);
    return [SCHEME, N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  /**
   * Whether `password` is the one `stored` was made from, compared in constant time. A malformed stored hash
   * verifies nothing (false), after the same work as a real check, so it cannot be told apart by timing either.
   */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parse(stored);
    if (parsed === undefined) {
      await this.spend(password);
      return false;
    }
    const key = await scrypt(password, parsed.salt, parsed.key.length, parsed);
    return timingSafeEqual(key, parsed.key);
  }

  /**
   * Does the work of one verification against nothing and answers false: called for an unknown username, so that
   * a wrong username costs as much time as a wrong password and the answer time does not tell which one was wrong.
   */
  async spend(password: string): Promise<false> {
    const key = await scrypt(password, randomBytes(SALT_BYTES), KEY_BYTES, this.parameters);
    // Compare like verify() does, so that the two paths do the same steps.
    timingSafeEqual(key, key);
    return false;
  }

  /** Whether `stored` was made with other parameters than this hasher's (or is unreadable), so deserves a new hash. */
  needsRehash(stored: string): boolean {
    const parsed = parse(stored);
    if (parsed === undefined) return true;
    const { N, r, p } = this.parameters;
    return parsed.N !== N || parsed.r !== r || parsed.p !== p || parsed.salt.length !== SALT_BYTES || parsed.key.length !== KEY_BYTES;
  }
}
