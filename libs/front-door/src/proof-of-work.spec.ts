import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Challenge, solveChallenge, Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { DomainError } from '@seckill/platform';
import { ProofOfWork } from './proof-of-work';

const pow = new ProofOfWork('a-test-secret-of-at-least-32-characters!', 60);

async function solve(encoded: string): Promise<Solution> {
  const challenge = JSON.parse(Buffer.from(encoded, 'base64url').toString()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  assert.ok(solution);
  return solution;
}

async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'CHALLENGE_FAILED');
    return error.message;
  }
  assert.fail('expected CHALLENGE_FAILED');
}

describe('ProofOfWork', () => {
  it('accepts a solved challenge for its user and activity, and tells its nonce', async () => {
    const issued = await pow.issue(3, '42', 2000, Date.now());
    assert.equal(issued.difficulty, 2000);
    assert.equal(issued.expiresIn, 60);
    const solution = await solve(issued.challenge);
    assert.ok(solution.counter >= 1000 && solution.counter <= 2000, `counter ${solution.counter}`);
    const verified = await pow.verify(issued.challenge, solution, 3, '42');
    assert.match(verified.nonce, /^[0-9a-f]{32}$/);
    assert.ok(verified.ttlMs > 55_000 && verified.ttlMs <= 62_000);
  });

  it('refuses missing, wrong, foreign, tampered, malformed and expired answers', async () => {
    const issued = await pow.issue(3, '42', 500, Date.now());
    const solution = await solve(issued.challenge);
    assert.match(await refusal(pow.verify(undefined, solution, 3, '42')), /requires a solved challenge/);
    assert.match(await refusal(pow.verify(issued.challenge, undefined, 3, '42')), /requires a solved challenge/);
    const wrongKey = (solution.derivedKey.startsWith('0') ? '1' : '0') + solution.derivedKey.slice(1);
    assert.match(await refusal(pow.verify(issued.challenge, { ...solution, derivedKey: wrongKey }, 3, '42')), /wrong/);
    assert.match(await refusal(pow.verify(issued.challenge, { counter: 'x', derivedKey: 'zz' }, 3, '42')), /wrong/);
    assert.match(await refusal(pow.verify(issued.challenge, solution, 3, '43')), /not one issued to you/);
    assert.match(await refusal(pow.verify(issued.challenge, solution, 4, '42')), /not one issued to you/);
    const decoded = JSON.parse(Buffer.from(issued.challenge, 'base64url').toString()) as Challenge;
    decoded.parameters.keyPrefix = '00';
    const tampered = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    assert.match(await refusal(pow.verify(tampered, solution, 3, '42')), /altered/);
    for (const garbage of ['', 'not base64!', Buffer.from('[1,2]').toString('base64url'), 'a'.repeat(5000)]) {
      await refusal(pow.verify(garbage, solution, 3, '42'));
    }
    const old = await pow.issue(3, '42', 200, Date.now() - 120_000);
    assert.match(await refusal(pow.verify(old.challenge, await solve(old.challenge), 3, '42')), /expired/);
  });

  it('costs about three quarters of the difficulty in hashes on average', async () => {
    let total = 0;
    for (let i = 0; i < 20; i++) total += (await solve((await pow.issue(1, '1', 1000, Date.now())).challenge)).counter;
    const mean = total / 20;
    assert.ok(mean > 500 && mean <= 1000, `mean counter ${mean}`);
  });
});
