import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddressKey } from './client-address';

describe('clientAddressKey', () => {
  it('keeps an IPv4 address as it is', () => {
    assert.equal(clientAddressKey('203.0.113.7'), '203.0.113.7');
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address, in either spelling', () => {
    assert.equal(clientAddressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(clientAddressKey('::ffff:cb00:7107'), '203.0.113.7');
  });

  it('truncates any other IPv6 address to its /64, so one host cannot rotate through its own network', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    assert.equal(key, '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('2001:db8:1:2:ffff:eeee:dddd:cccc'), key);
    assert.equal(clientAddressKey('2001:0db8:0001:0002:0000:0000:0000:0009'), key, 'one key whatever the spelling');
    assert.notEqual(clientAddressKey('2001:db8:1:3::1'), key, 'the next /64 is another client');
    assert.equal(clientAddressKey('::1'), '::/64');
  });

  it('keeps a string that is no address as it is', () => {
    assert.equal(clientAddressKey('not-an-address'), 'not-an-address');
    assert.equal(clientAddressKey('1:2:3'), '1:2:3');
  });
});
