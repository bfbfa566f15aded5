import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '@seckill/platform';
import { PurchaseTokens } from './purchase-token';

const SECRET = 'x'.repeat(40);
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function rejects(fn: () => void, text: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'INVALID_SECKILL_TOKEN');
    assert.match(error.message, text);
    return true;
  });
}

describe('PurchaseTokens', () => {
  const tokens = new PurchaseTokens(SECRET, 60);

  it('accepts its own token for the same user and activity until it expires', () => {
    const { token, expiresIn } = tokens.issue(7, '42', NOW);
    assert.equal(expiresIn, 60);
    tokens.verify(token, 7, '42', NOW);
    tokens.verify(token, 7, '42', NOW + 59_000);
    rejects(() => tokens.verify(token, 7, '42', NOW + 60_000), /expired/);
  });

  it('refuses another user, another activity, a forged or malformed token', () => {
    const { token } = tokens.issue(7, '42', NOW);
    rejects(() => tokens.verify(token, 7, '43', NOW), /forged|another user/);
    rejects(() => tokens.verify(token, 8, '42', NOW), /forged|another activity/);
    const [a, u, e] = token.split('.');
    rejects(() => tokens.verify(`${a}.43.${e}.${token.split('.')[3]}`, 7, '43', NOW), /forged/);
    rejects(() => tokens.verify(`${a}.${u}.${Number(e) + 1000}.${token.split('.')[3]}`, 7, '42', NOW), /forged/);
    rejects(() => tokens.verify('garbage', 7, '42', NOW), /malformed/);
    const other = new PurchaseTokens('y'.repeat(40), 60).issue(7, '42', NOW).token;
    rejects(() => tokens.verify(other, 7, '42', NOW), /forged/);
  });
});
