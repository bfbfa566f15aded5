import ipaddr from 'ipaddr.js';

type Range<T> = [T, number];

/**
 * Whether an address belongs to a list of addresses and CIDR ranges (an allowlist, trusted proxies), for IPv4 and
 * IPv6. An IPv4-mapped IPv6 address (::ffff:1.2.3.4, as a dual-stack socket reports IPv4 clients) is matched as
 * the IPv4 address it carries, in an address to test and in an entry alike.
 */
export class IpMatcher {
  private readonly v4: Array<Range<ipaddr.IPv4>> = [];
  private readonly v6: Array<Range<ipaddr.IPv6>> = [];

  /**
   * @param list addresses ("10.1.2.3", "::1") and CIDR ranges ("10.0.0.0/8", "2001:db8::/32"); surrounding
   *   blanks are ignored
   * @throws Error naming the first entry that is neither an address nor a CIDR range
   */
  constructor(list: readonly string[]) {
    for (const raw of list) {
      const entry = raw.trim();
      const range = parseEntry(entry);
      if (range === undefined) {
        throw new Error(`invalid IP address or CIDR range: "${raw}" (expected e.g. 10.0.0.1, 10.0.0.0/8, ::1 or 2001:db8::/32)`);
      }
      const [address, bits] = range;
      if (address.kind() === 'ipv4') this.v4.push([address as ipaddr.IPv4, bits]);
      else this.v6.push([address as ipaddr.IPv6, bits]);
    }
  }

  /** True when the list is empty: nothing can match. */
  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** Whether `ip` is one of the listed addresses or inside one of the listed ranges; false for a malformed ip. */
  matches(ip: string): boolean {
    if (this.isEmpty) return false;
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      // process() unwraps IPv4-mapped IPv6 addresses.
      address = ipaddr.process(ip);
    } catch {
      return false;
    }
    // Plain loops rather than some(): this runs per request and should not allocate a closure each time.
    if (address.kind() === 'ipv4') {
      for (const range of this.v4) if (address.match(range)) return true;
      return false;
    }
    for (const range of this.v6) if (address.match(range)) return true;
    return false;
  }
}

/**
 * An entry as a range, or undefined when it is malformed. IPv4 must be four decimal parts: ipaddr.js also takes
 * "10.1" or "0x0a000001", which in a configuration file is far more likely a typo than an intent.
 */
function parseEntry(entry: string): Range<ipaddr.IPv4 | ipaddr.IPv6> | undefined {
  const slash = entry.indexOf('/');
  const host = slash === -1 ? entry : entry.slice(0, slash);
  const bitsText = slash === -1 ? undefined : entry.slice(slash + 1);
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return undefined;

  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) address = ipaddr.IPv4.parse(host);
  else if (host.includes(':') && ipaddr.IPv6.isValid(host)) address = ipaddr.IPv6.parse(host);
  else return undefined;

  const maxBits = address.kind() === 'ipv4' ? 32 : 128;
  const bits = bitsText === undefined ? maxBits : Number(bitsText);
  if (bits > maxBits) return undefined;

  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8: store it as IPv4 so that it matches the unwrapped addresses matches() sees.
    if (v6.isIPv4MappedAddress() && bits >= 96) return [v6.toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
