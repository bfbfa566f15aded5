import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpMatcher } from './ip-matcher';

describe('IpMatcher', () => {
  it('matches single IPv4 addresses and CIDR ranges', () => {
    const matcher = new IpMatcher(['192.168.1.10', '10.0.0.0/8', '172.16.0.0/12']);
    assert.equal(matcher.matches('192.168.1.10'), true);
    assert.equal(matcher.matches('192.168.1.11'), false);
    assert.equal(matcher.matches('10.255.1.2'), true);
    assert.equal(matcher.matches('11.0.0.1'), false);
    assert.equal(matcher.matches('172.31.255.255'), true);
    assert.equal(matcher.matches('172.32.0.0'), false);
  });

  it('matches IPv6 addresses and ranges, in any notation', () => {
    const matcher = new IpMatcher(['::1', '2001:db8::/32']);
    assert.equal(matcher.matches('::1'), true);
    assert.equal(matcher.matches('0:0:0:0:0:0:0:1'), true);
    assert.equal(matcher.matches('2001:db8:1234::5'), true);
    assert.equal(matcher.matches('2001:db9::1'), false);
    assert.equal(matcher.matches('127.0.0.1'), false, 'IPv4 loopback is not ::1');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    const matcher = new IpMatcher(['10.0.0.0/8', '::ffff:192.168.0.0/112']);
    assert.equal(matcher.matches('::ffff:10.1.2.3'), true);
    assert.equal(matcher.matches('::ffff:11.1.2.3'), false);
    assert.equal(matcher.matches('192.168.4.5'), true, 'a mapped entry matches plain IPv4');
    assert.equal(matcher.matches('::ffff:192.168.4.5'), true);
    assert.equal(matcher.matches('192.169.0.1'), false);
  });

  it('accepts /0, full-length prefixes and blanks around entries', () => {
    assert.equal(new IpMatcher(['0.0.0.0/0']).matches('8.8.8.8'), true);
    assert.equal(new IpMatcher(['0.0.0.0/0']).matches('2001:db8::1'), false);
    assert.equal(new IpMatcher(['::/0']).matches('2001:db8::1'), true);
    assert.equal(new IpMatcher([' 10.0.0.1/32 ']).matches('10.0.0.1'), true);
    assert.equal(new IpMatcher(['2001:db8::1/128']).matches('2001:db8::1'), true);
  });

  it('matches nothing when empty, and nothing for a malformed address', () => {
    assert.equal(new IpMatcher([]).matches('10.0.0.1'), false);
    const matcher = new IpMatcher(['0.0.0.0/0', '::/0']);
    assert.equal(matcher.matches('not an ip'), false);
    assert.equal(matcher.matches(''), false);
  });

  it('throws naming the entry on an invalid one', () => {
    for (const bad of ['', 'localhost', '10.0.0.256', '10.1', '0x0a000001', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/a', '::1/129', '2001:db8::g', '1.2.3.4/8/8']) {
      assert.throws(
        () => new IpMatcher(['10.0.0.1', bad]),
        (error: unknown) => error instanceof Error && error.message.includes(`"${bad}"`),
        `entry ${JSON.stringify(bad)} should be refused`,
      );
    }
  });
});
