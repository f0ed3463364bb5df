/**
 * DNS names learned from the network: never resolved, never dialed. Only the names of the user's own
 * bootstrap list (and the zones below them, where a `/dnsaddr` points) are. A name costs nothing: a
 * host answering to many of them would weigh many address groups, a connection dialed by name keeps the
 * name as its remote address, and resolving a name an attacker chose tells the attacker's DNS server
 * when (and from which resolver) this node looks at its records.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrResolver } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The multiaddr protocols that name a host by DNS. `sni` too: the WebSockets transport dials
 * `/ip4/…/tls/sni/<name>/ws` as `wss://<name>`, so the name, not the IP address, is what gets resolved
 * and reached.
 */
const DNS_PROTOCOLS = new Set(['dns', 'dns4', 'dns6', 'dnsaddr', 'sni'])

/**
 * The DNS names of an address, lower-cased (none for an IP address).
 *
 * @example
 * ```ts
 * dnsNames(multiaddr('/dns4/Relay.Example.org/tcp/443/wss')) // ['relay.example.org']
 * ```
 */
export function dnsNames (addr: Multiaddr): string[] {
  return addr.getComponents().flatMap((c) => DNS_PROTOCOLS.has(c.name) && c.value !== undefined ? [c.value.toLowerCase()] : [])
}

/** A connection gate's dial rule: true denies the address. */
export interface DialAddressGate {
  denyDialMultiaddr(addr: Multiaddr): boolean
}

/**
 * The connection gate that keeps a node from dialing DNS names it learned from the network: an address
 * naming a host by DNS is dialed only when the name (or a zone above it, for what a `/dnsaddr` resolves
 * to) is in the user's own `bootstrap` list. A name costs nothing, and a connection dialed by name keeps
 * the name as its remote address, so sixty-four names of one host in provider records were
 * sixty-four address groups to every draw and quota; IP addresses (and relayed addresses through an IP
 * or a bootstrap name) are dialed as before. libp2p resolves `/dnsaddr` before it asks the gate: pass
 * the same gate to {@link gatedResolvers} too.
 *
 * @example
 * ```ts
 * const gate = learnedNameGate(['/dns4/relay.example.org/tcp/443/wss/p2p/12D3KooW…'])
 * gate.denyDialMultiaddr(multiaddr('/dns4/s1.attacker.example/tcp/4001')) // true
 * gate.denyDialMultiaddr(multiaddr('/dns4/relay.example.org/tcp/443/wss/p2p/12D3KooW…/p2p-circuit')) // false
 * ```
 */
export function learnedNameGate (bootstrap: readonly string[]): DialAddressGate {
  const names = new Set(bootstrap.flatMap((address) => {
    try {
      return dnsNames(multiaddr(address))
    } catch {
      return [] // not a multiaddr: never dialed either
    }
  }))
  const allowed = (name: string): boolean => {
    for (let zone = name; zone !== ''; zone = zone.slice(zone.indexOf('.') + 1 || zone.length)) {
      if (names.has(zone)) return true
    }
    return false
  }
  return { denyDialMultiaddr: (addr) => dnsNames(addr).some((name) => !allowed(name)) }
}

/**
 * libp2p's multiaddr resolvers (`connectionManager.resolvers`, `/dnsaddr` by default), each asked only
 * for addresses that `gate` lets through: libp2p resolves a dial's addresses before the connection gate
 * sees them, so without this a `/dnsaddr` learned from the network was looked up (the attacker's zone saw
 * the query) and what it resolved to was dialed. A denied address resolves to nothing.
 *
 * @example
 * ```ts
 * import { dnsaddrResolver } from 'libp2p'
 *
 * createLibp2p({ connectionManager: { resolvers: gatedResolvers({ dnsaddr: dnsaddrResolver }, learnedNameGate(bootstrap)) } })
 * ```
 */
export function gatedResolvers (resolvers: Record<string, MultiaddrResolver>, gate: DialAddressGate): Record<string, MultiaddrResolver> {
  return Object.fromEntries(Object.entries(resolvers).map(([name, resolver]) => [name, {
    canResolve: (address: Multiaddr) => resolver.canResolve(address),
    resolve: async (address, options) => gate.denyDialMultiaddr(address) ? [] : await resolver.resolve(address, options)
  } satisfies MultiaddrResolver]))
}
