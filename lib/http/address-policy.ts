import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses a fetch of a URL named by someone else (a metadata document, a client) may
 * connect to: public unicast only. Everything else would let that someone reach this host's own
 * services or its private network (server-side request forgery).
 */
export type AddressKind = 'public' | 'loopback' | 'blocked';

// RFC 6890 and the IANA special-purpose address registries: nothing here is a public web server.
const BLOCKED_IPV4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified (RFC 791, RFC 1122 §3.2.1.3)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, CGNAT (RFC 6598)
  ['169.254.0.0', 16], // link-local, cloud metadata services (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation (RFC 5737)
  ['203.0.113.0', 24], // documentation (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved, and the limited broadcast address (RFC 1112, RFC 919)
];
const BLOCKED_IPV6: readonly [string, number][] = [
  ['::', 128], // unspecified (RFC 4291 §2.5.2)
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local (RFC 4291 §2.5.6)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291 §2.7)
];

const blocked = new BlockList();
for (const [network, prefix] of BLOCKED_IPV4) blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_IPV6) blocked.addSubnet(network, prefix, 'ipv6');
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4'); // RFC 1122 §3.2.1.3
loopback.addAddress('::1', 'ipv6'); // RFC 4291 §2.5.3

/**
 * What an address is. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, RFC 4291 §2.5.5.2) count
 * as the IPv4 address they carry (BlockList matches them against the IPv4 rules), and so do the
 * IPv4 addresses inside NAT64 (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002::/16`, RFC 3056) ones.
 */
export function addressKind(address: string): AddressKind {
  const withoutZone = address.split('%')[0] as string;
  const family = isIP(withoutZone);
  if (family === 0) return 'blocked';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (loopback.check(withoutZone, type)) return 'loopback';
  if (blocked.check(withoutZone, type)) return 'blocked';
  const embedded = family === 6 ? embeddedIPv4(withoutZone) : undefined;
  return embedded === undefined ? 'public' : addressKind(embedded);
}

/** The IPv4 address a NAT64 or 6to4 address carries, if it is one. */
function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const quad = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  // RFC 6052 §2.1: the well-known prefix 64:ff9b::/96, the IPv4 address in the last 32 bits.
  if (groups.slice(0, 6).join(',') === '100,65435,0,0,0,0') return quad(groups[6] as number, groups[7] as number);
  // RFC 3056 §2: 2002:V4ADDR::/48.
  if (groups[0] === 0x2002) return quad(groups[1] as number, groups[2] as number);
  return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted quad folded in). */
function ipv6Groups(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text =
    dotted === null
      ? address
      : `${address.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}`;
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const before = parse(head);
  const after = tail === undefined ? [] : parse(tail);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/** Host names of this machine in a URL (`URL.hostname`; an IPv6 address in brackets). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback host only (development). */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}
