import { isIPv6 } from 'node:net';

/**
 * What a per-address quota counts: an IPv4 address itself (also mapped into IPv6), and an
 * IPv6 address's /64. RFC 4291 §2.5.1: the last 64 bits are the interface identifier, which a
 * host picks itself (RFC 8981 temporary addresses), so one host holds a whole /64 and could
 * otherwise take a fresh address for every request.
 */
export function addressNetwork(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  const withoutZone = address.split('%')[0] as string;
  if (!isIPv6(withoutZone)) return address;
  const [head = '', tail] = withoutZone.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  // An embedded IPv4 address (RFC 4291 §2.2) is the last two groups.
  const width = (parts: string[]) => parts.reduce((sum, part) => sum + (part.includes('.') ? 2 : 1), 0);
  const [before, after] = [groups(head), groups(tail ?? '')];
  const full = tail === undefined ? before : [...before, ...Array<string>(8 - width(before) - width(after)).fill('0'), ...after];
  return `${full.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
