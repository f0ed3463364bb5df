/**
 * The browser platform asks no third-party server: @libp2p/webrtc is given an explicit, empty ICE
 * server list (its default is four public STUN servers) unless the user configured some.
 */
import { describe, expect, it, vi } from 'vitest'
import { browserRtcConfiguration, platformTransports } from '../src/platform/browser.js'
import type * as WebRTC from '@libp2p/webrtc'
import type { WebRTCTransportInit } from '@libp2p/webrtc'

const webRTCInits = vi.hoisted(() => [] as Array<WebRTCTransportInit | undefined>)

vi.mock('@libp2p/webrtc', async (importOriginal) => {
  const original = await importOriginal<typeof WebRTC>()
  return {
    ...original,
    webRTC: (init?: WebRTCTransportInit) => {
      webRTCInits.push(init)
      return original.webRTC(init)
    }
  }
})

/** The ICE servers the WebRTC transport of `platformTransports(init)` was built with (undefined: the library default). */
function iceServersOf (init: Parameters<typeof platformTransports>[0]): RTCIceServer[] | undefined {
  webRTCInits.length = 0
  platformTransports(init)
  expect(webRTCInits).toHaveLength(1)
  const configuration = webRTCInits[0]?.rtcConfiguration
  if (typeof configuration === 'function') throw new Error('expected a fixed RTCConfiguration')
  return configuration?.iceServers
}

describe('browser WebRTC ICE servers', () => {
  it('none by default, on the internet as on a LAN', () => {
    expect(iceServersOf({ allowPrivateAddresses: false })).toEqual([])
    expect(iceServersOf({ allowPrivateAddresses: true })).toEqual([])
  })

  it('exactly the STUN/TURN servers the user configured', () => {
    const iceServers = [{ urls: 'stun:stun.relay.example.org:3478' }, { urls: 'turn:turn.example.org', username: 'u', credential: 'c' }]
    expect(iceServersOf({ allowPrivateAddresses: false, iceServers })).toEqual(iceServers)
    expect(browserRtcConfiguration({ allowPrivateAddresses: false })).toEqual({ iceServers: [] })
  })
})
