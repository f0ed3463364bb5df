/**
 * What an IP address is to a node: whether dialing it reaches the internet, this machine, its LAN or
 * nothing at all (its scope), and which IPv4 address an IPv6 address stands for. Written once, and read
 * by every rule that weighs or dials an address: learned addresses (`learnedAddress`), a public node's
 * dial gate (`publicDialGate`), the address groups (`addressGroup`) and the raw groups of a provider
 * answer (`rawGroup`) — so no two of them disagree on an address.
 *
 * An IPv6 address that carries an IPv4 address is judged and grouped by that IPv4 address: IPv4-mapped
 * (`::ffff:0:0/96`), NAT64 (`64:ff9b::/96`, and the local-use `64:ff9b:1::/48`, never public), 6to4
 * (`2002::/16`, the router's address in bits 16–47) and Teredo (`2001::/32`, the client's address
 * inverted in the last 32 bits). Otherwise one host would weigh as many groups as it writes variants
 * (the Teredo server field, a 6to4 subnet), and a NAT64 form of 127.0.0.1 would pass for public.
 */
import { IpNet } from '@chainsafe/netmask'
import * as varint from 'uint8-varint'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Where dialing an address leads: `public` (the internet), `private` (a LAN, a carrier's CGNAT, a
 * documentation or benchmarking range), `loopback` (this machine), `link-local` (the local link, a cloud
 * metadata service), or `unroutable` (unspecified, multicast, broadcast, reserved: never a peer).
 */
export type AddressScope = 'public' | 'private' | 'loopback' | 'link-local' | 'unroutable'

/**
 * IPv4 ranges (disjoint); what none of them holds is public. The private ones are
 * `@libp2p/utils`' list (RFC 1918, CGNAT, IETF protocol assignments, documentation, benchmarking, AS112,
 * AMT, the 6to4 relay anycast), kept here as byte masks: its `isPrivateIp` parses the address once per
 * range, about 50 µs a call against 0.6 µs, and the DHT's peer-info mapper asks for every address of
 * every record.
 */
const IP4_RANGES: Array<[IpNet, AddressScope]> = ([
  ['0.0.0.0/8', 'unroutable'],
  ['224.0.0.0/4', 'unroutable'],
  ['240.0.0.0/4', 'unroutable'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'private'],
  ['192.0.2.0/24', 'private'],
  ['192.31.196.0/24', 'private'],
  ['192.52.193.0/24', 'private'],
  ['192.88.99.0/24', 'private'],
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'private'],
  ['198.18.0.0/15', 'private'],
  ['198.51.100.0/24', 'private'],
  ['203.0.113.0/24', 'private']
] satisfies Array<[string, AddressScope]>).map(([cidr, scope]) => [new IpNet(cidr), scope])

/**
 * IPv6 ranges that carry no IPv4 address, the first that holds an address decides: special ranges
 * first, then global unicast (2000::/3) public and everything else (multicast, unassigned) unroutable.
 */
const IP6_RANGES: Array<[IpNet, AddressScope]> = ([
  ['::/128', 'unroutable'],
  ['::1/128', 'loopback'],
  // the rest of ::/8 (IPv4-compatible, SIIT) is reserved
  ['::/8', 'unroutable'],
  ['100::/64', 'unroutable'],
  ['2001:2::/48', 'private'],
  ['2001:10::/28', 'unroutable'],
  ['2001:20::/28', 'unroutable'],
  ['2001:db8::/32', 'private'],
  ['3fff::/20', 'private'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  // only 2000::/3 is global unicast: multicast (ff00::/8) and every unassigned range are no peer's
  ['2000::/3', 'public'],
  ['::/0', 'unroutable']
] satisfies Array<[string, AddressScope]>).map(([cidr, scope]) => [new IpNet(cidr), scope])

const MAPPED = new IpNet('::ffff:0:0/96')
const NAT64 = new IpNet('64:ff9b::/96')
const NAT64_LOCAL = new IpNet('64:ff9b:1::/48')
const SIX_TO_FOUR = new IpNet('2002::/16')
const TEREDO = new IpNet('2001::/32')

/**
 * The IPv4 address (4 bytes) that the 16 bytes of an IPv6 address stand for: IPv4-mapped, NAT64 (the
 * last 32 bits; for the local-use prefix too, whatever its operator's prefix length), 6to4 (bits
 * 16–47) or Teredo (the client's address, the last 32 bits inverted); undefined for any other.
 *
 * @example
 * ```ts
 * embeddedIpv4(multiaddr('/ip6/2001:0:4136:e378:8000:63bf:3fff:fdd2').bytes.subarray(1)) // 192.0.2.45 as bytes
 * ```
 */
export function embeddedIpv4 (ip6: Uint8Array): Uint8Array | undefined {
  if (MAPPED.contains(ip6) || NAT64.contains(ip6) || NAT64_LOCAL.contains(ip6)) return ip6.subarray(12, 16)
  if (SIX_TO_FOUR.contains(ip6)) return ip6.subarray(2, 6)
  if (TEREDO.contains(ip6)) return ip6.subarray(12, 16).map((byte) => byte ^ 0xff)
  return undefined
}

/**
 * The scope of an IP address given as its 4 (IPv4) or 16 (IPv6) bytes; an IPv6 address carrying an
 * IPv4 address ({@link embeddedIpv4}) has that address's scope, at least `private` for the local-use
 * NAT64 prefix.
 *
 * @example
 * ```ts
 * ipScope(Uint8Array.from([224, 0, 0, 1])) // 'unroutable'
 * ```
 */
export function ipScope (ip: Uint8Array): AddressScope {
  if (ip.length === 4) return IP4_RANGES.find(([net]) => net.contains(ip))?.[1] ?? 'public'
  const ip4 = embeddedIpv4(ip)
  if (ip4 !== undefined) {
    const scope = ipScope(ip4)
    return NAT64_LOCAL.contains(ip) && scope === 'public' ? 'private' : scope
  }
  return IP6_RANGES.find(([net]) => net.contains(ip))?.[1] ?? 'unroutable'
}

/** The multiaddr codes of IPv4, IPv6 and an IPv6 zone (one-byte varints). */
const IP4 = 0x04
const IP6 = 0x29
const IP6ZONE = 0x2a

/**
 * The bytes of the IP address that the bytes of a multiaddr start with (a leading `/ip6zone` passed
 * over: a zone names an interface, not another host), or undefined when they start with anything else
 * (a DNS name, a path) or are cut short. Reads bytes only, so raw provider records need no parsing.
 *
 * @example
 * ```ts
 * ipOfBytes(multiaddr('/ip6zone/eth0/ip4/8.8.8.8/tcp/4001').bytes) // Uint8Array [8, 8, 8, 8]
 * ```
 */
export function ipOfBytes (address: Uint8Array): Uint8Array | undefined {
  if (address[0] === IP6ZONE) {
    try {
      const length = varint.decode(address, 1)
      address = address.subarray(1 + varint.encodingLength(length) + length)
    } catch {
      return undefined
    }
  }
  if (address[0] === IP4 && address.length >= 5) return address.subarray(1, 5)
  if (address[0] === IP6 && address.length >= 17) return address.subarray(1, 17)
  return undefined
}

/**
 * The bytes of the IP address a multiaddr starts with ({@link ipOfBytes}), or undefined.
 *
 * @example
 * ```ts
 * hostIp(multiaddr('/ip4/8.8.8.8/tcp/4001')) // Uint8Array [8, 8, 8, 8]
 * ```
 */
export function hostIp (addr: Multiaddr): Uint8Array | undefined {
  return ipOfBytes(addr.bytes)
}

/**
 * The scope of the IP address a multiaddr starts with ({@link hostIp}, {@link ipScope}); a relayed
 * address's is its relay's. Undefined for an address naming no IP address.
 *
 * @example
 * ```ts
 * addressScope(multiaddr('/ip6/64:ff9b::7f00:1/tcp/4001')) // 'loopback'
 * ```
 */
export function addressScope (addr: Multiaddr): AddressScope | undefined {
  const ip = hostIp(addr)
  return ip === undefined ? undefined : ipScope(ip)
}

/**
 * Whether an address of `scope` may be dialed: a public one always, a private, loopback or link-local
 * one only on a private network (`allowPrivate`), an unroutable one never.
 *
 * @example
 * ```ts
 * dialableScope('loopback', false) // false
 * ```
 */
export function dialableScope (scope: AddressScope, allowPrivate: boolean): boolean {
  return scope === 'public' || (allowPrivate && scope !== 'unroutable')
}

/**
 * The address group of an IP address given as its bytes: `ip4/<address>` for IPv4 and for an IPv6
 * address carrying one ({@link embeddedIpv4}), else `ip6/<the /48>` (a site or household holds many
 * /64s). The raw provider-answer groups (`provider-answer.ts`) are the same groups, as numbers.
 *
 * @example
 * ```ts
 * ipGroup(multiaddr('/ip6/2002:808:808:1::1').bytes.subarray(1)) // 'ip4/8.8.8.8'
 * ```
 */
export function ipGroup (ip: Uint8Array): string {
  const ip4 = ip.length === 4 ? ip : embeddedIpv4(ip)
  if (ip4 !== undefined) return `ip4/${ip4.join('.')}`
  const view = new DataView(ip.buffer, ip.byteOffset, ip.byteLength)
  return `ip6/${[0, 1, 2].map((i) => view.getUint16(2 * i).toString(16).padStart(4, '0')).join(':')}::/48`
}
