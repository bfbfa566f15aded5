import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCRYPT_PARAMETERS, PasswordHasher } from './password-hasher';

// Cheap parameters keep the suite fast; one test runs the production ones.
const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });

describe('PasswordHasher', () => {
  it('verifies the password a hash was made from, and no other', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    assert.equal(await hasher.verify('correct horse battery staple', stored), true);
    assert.equal(await hasher.verify('correct horse battery stapler', stored), false);
    assert.equal(await hasher.verify('', stored), false);
  });

  it('writes the self-describing format scrypt$N$r$p$salt$hash with a 16-byte salt', async () => {
    const stored = await hasher.hash('password1');
    const parts = stored.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '1024', '8', '1']);
    assert.equal(Buffer.from(parts[4], 'base64').length, 16);
    assert.equal(Buffer.from(parts[5], 'base64').length, 32);
    assert.ok(stored.length <= 255, 'fits the password_hash column');
  });

  it('salts every hash: the same password hashes to different strings, both verifying', async () => {
    const a = await hasher.hash('same-password');
    const b = await hasher.hash('same-password');
    assert.notEqual(a, b);
    assert.equal(await hasher.verify('same-password', a), true);
    assert.equal(await hasher.verify('same-password', b), true);
  });

  it('uses N=16384, r=8, p=1 by default, and verifies hashes made with other parameters', async () => {
    const production = new PasswordHasher();
    assert.deepEqual({ ...DEFAULT_SCRYPT_PARAMETERS }, { N: 16384, r: 8, p: 1 });
    const stored = await production.hash('pässwörd-ünïcode-🔑');
    assert.ok(stored.startsWith('scrypt$16384$8$1$'));
    assert.equal(await production.verify('pässwörd-ünïcode-🔑', stored), true);

    const cheap = await hasher.hash('pässwörd-ünïcode-🔑');
    assert.equal(await production.verify('pässwörd-ünïcode-🔑', cheap), true, 'parameters are read from the hash');
  });

  it('asks for a rehash when the stored parameters differ from its own', async () => {
    const production = new PasswordHasher();
    const cheap = await hasher.hash('password1');
    assert.equal(hasher.needsRehash(cheap), false);
    assert.equal(production.needsRehash(cheap), true);
    assert.equal(production.needsRehash('not a hash'), true);
  });

  it('treats malformed or hostile stored hashes as a mismatch rather than throwing', async () => {
    const good = await hasher.hash('password1');
    const [, , , , salt, key] = good.split('$');
    const bad = [
      '',
      'plaintext-password',
      `bcrypt$1024$8$1$${salt}$${key}`,
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${1 << 24}$8$1$${salt}$${key}`, // N far beyond the bound: would allocate gigabytes
      `scrypt$1024$0$1$${salt}$${key}`,
      `scrypt$1024$8$1$!!!$${key}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}`,
      `${good}$extra`,
    ];
    for (const stored of bad) {
      assert.equal(await hasher.verify('password1', stored), false, stored);
    }
  });

  it('detects a tampered hash', async () => {
    const stored = await hasher.hash('password1');
    const parts = stored.split('$');
    const key = Buffer.from(parts[5], 'base64');
    key[0] ^= 1;
    parts[5] = key.toString('base64');
    assert.equal(await hasher.verify('password1', parts.join('$')), false);
  });

  it('spend() does the work of a verification and answers false', async () => {
    assert.equal(await hasher.spend('anything'), false);
  });

  it('refuses parameters it could not verify later', () => {
    assert.throws(() => new PasswordHasher({ N: 1000, r: 8, p: 1 }), RangeError);
    assert.throws(() => new PasswordHasher({ N: 1024, r: 0, p: 1 }), RangeError);
    assert.throws(() => new PasswordHasher({ N: 1024, r: 8, p: 0 }), RangeError);
  });
});
