import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'a-test-webhook-secret';
  const body = Buffer.from('{"eventId":"ev_1","amountCents":500}');

  it('verifies the signature of the exact bytes, in either hex case', () => {
    const signature = signWebhook(secret, body);
    assert.match(signature, /^[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(secret, body, signature), true);
    assert.equal(verifyWebhook(secret, body, signature.toUpperCase()), true);
    assert.equal(signWebhook(secret, body.toString()), signature, 'a string and its bytes sign alike');
  });

  it('refuses another body, another secret, and anything that is not 64 hex digits', () => {
    const signature = signWebhook(secret, body);
    // The same JSON re-serialised with a space is another body: the signature covers bytes, not meaning.
    assert.equal(verifyWebhook(secret, Buffer.from('{"eventId":"ev_1", "amountCents":500}'), signature), false);
    assert.equal(verifyWebhook('another-secret-value', body, signature), false);
    for (const bad of [undefined, '', 'abc', signature.slice(1), `${signature}00`, 'z'.repeat(64), 42, [signature]]) {
      assert.equal(verifyWebhook(secret, body, bad), false, JSON.stringify(bad));
    }
  });
});
