import ipaddr from 'ipaddr.js';

/**
 * The key a client address is limited under, for every per-address limit (in-process buckets and Redis counters
 * alike): an IPv4 address as it is; an IPv4-mapped IPv6 address (::ffff:1.2.3.4, as a dual-stack socket reports
 * IPv4 clients) as the IPv4 address it carries; any other IPv6 address as its /64 network, written
 * `2001:db8:1:2::/64`. One IPv6 host usually holds a whole /64 (SLAAC, privacy addresses), so limiting each of its
 * 2^64 addresses apart would not hold it back. A string that is no address at all is its own key.
 *
 * The IPv4 case, by far the most common, is answered without parsing: this runs on every limited request.
 */
export function clientAddressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(ip);
  } catch {
    return ip;
  }
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  const parts = address.parts;
  // The first four 16-bit groups are the /64; the rest is the host's own choice.
  return `${new ipaddr.IPv6([parts[0], parts[1], parts[2], parts[3], 0, 0, 0, 0]).toString()}/64`;
}
