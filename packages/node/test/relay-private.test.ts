/**
 * Which relays keep private addresses in their DHT records (isPrivateRelay), and the default listen
 * addresses of a relay. A relay on every interface of a host with only private addresses (one machine,
 * a LAN) must keep them, or its browsers' relayed addresses, all private, are dropped and no two
 * browsers ever pair; one with a public address, announced or on an interface, must not.
 */
import { describe, expect, it } from 'vitest'
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../src/node-version.js'
import { RELAY_LISTEN, isPrivateRelay, relayListen } from '../src/relay.js'

/** A host whose interfaces hold `v4` and `v6` addresses. */
function host (v4: string[], v6: string[]): (address: string) => string[] {
  return (address) => {
    const wildcard = /^\/ip([46])\/(0\.0\.0\.0|::)(\/.*)$/.exec(address)
    if (wildcard === null) return [address]
    return (wildcard[1] === '4' ? v4 : v6).map((ip) => `/ip${wildcard[1]}/${ip}${wildcard[3]}`)
  }
}

describe('isPrivateRelay', () => {
  it('a relay on every interface of a host with only loopback and LAN addresses serves a private network', () => {
    expect(isPrivateRelay({ listen: RELAY_LISTEN, interfaces: host(['127.0.0.1', '192.168.1.20'], ['::1', 'fd00::2']) })).toBe(true)
    expect(isPrivateRelay({ listen: RELAY_LISTEN, interfaces: host(['127.0.0.1', '10.0.0.5', '100.64.3.4'], []) })).toBe(true)
  })

  it('a public address on any interface, announced, or bootstrapped from, makes it public', () => {
    expect(isPrivateRelay({ listen: RELAY_LISTEN, interfaces: host(['127.0.0.1', '93.184.215.14'], ['::1']) })).toBe(false)
    expect(isPrivateRelay({ listen: RELAY_LISTEN, interfaces: host(['127.0.0.1'], ['::1', '2a00:1450:4001::7']) })).toBe(false)
    const lan = host(['127.0.0.1', '192.168.1.20'], [])
    expect(isPrivateRelay({ listen: RELAY_LISTEN, announce: ['/dns4/relay.example.org/tcp/443/wss'], interfaces: lan })).toBe(false)
    expect(isPrivateRelay({ listen: RELAY_LISTEN, announce: ['/ip4/8.8.4.4/tcp/4002/ws'], interfaces: lan })).toBe(false)
    expect(isPrivateRelay({ listen: RELAY_LISTEN, bootstrap: ['/ip4/8.8.4.4/tcp/4001/p2p/12D3KooWLTJofRvWqJEC4EiQLkRhppEcDKjuW25QkyDtVvWRyTas'], interfaces: lan })).toBe(false)
  })

  it('what it announces decides over its interfaces; no address at all is not private', () => {
    expect(isPrivateRelay({ listen: RELAY_LISTEN, announce: ['/ip4/192.168.1.20/tcp/4002/ws'], interfaces: host(['93.184.215.14'], []) })).toBe(true)
    expect(isPrivateRelay({ listen: RELAY_LISTEN, interfaces: host([], []) })).toBe(false)
    expect(isPrivateRelay({ listen: ['/p2p-circuit'] })).toBe(false)
  })

  it('with this host\'s own interfaces, loopback listeners are private', () => {
    expect(isPrivateRelay({ listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0/ws'] })).toBe(true)
  })
})

describe('relay listen addresses', () => {
  it('listens on every IPv4 and IPv6 interface at 4001 (TCP) and 4002 (WebSockets) by default', () => {
    expect(RELAY_LISTEN).toEqual(['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws', '/ip6/::/tcp/4002/ws'])
    expect(relayListen(0, 0)).toEqual(['/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/ip6/::/tcp/0/ws'])
  })
})

describe('nodeVersionProblem', () => {
  it('names the version, the way to run with Node.js 22, and nothing for 22 or newer', () => {
    expect(MIN_NODE_MAJOR).toBe(22)
    expect(nodeVersionProblem('`npm start`', '20.19.0')).toBe('Murmur needs Node.js 22 or newer (this is v20.19.0); install Node.js 22, or from a Murmur checkout run `npm start`')
    expect(nodeVersionProblem('`npm start`', 'v18.0.0')).toMatch(/this is v18\.0\.0\)/)
    expect(nodeVersionProblem('`npm start`', '22.0.0')).toBeUndefined()
    expect(nodeVersionProblem('`npm start`', '24.1.0')).toBeUndefined()
    expect(nodeVersionProblem('`npm start`')).toBeUndefined()
  })
})
