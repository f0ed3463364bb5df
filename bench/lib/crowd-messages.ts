// What bench/crowd.ts and its worker processes (crowd-worker.ts) say to each other, and the settings
// both use.

/** The channel every node of the crowd joins. */
export const CROWD_CHANNEL = '#crowd'

/**
 * Many nodes share each event loop (a real crowd has one per machine): handshakes and pings can be slow
 * under that load, so they get time instead of being aborted. Nothing here changes gossip or discovery
 * (whose own dials still end at DIAL_TIMEOUT, 30 s). Each address of a dial gets the dial's time too:
 * libp2p's per-address cap (`addressDialTimeout`, 6 s until session 8, Murmur's 15 s since) otherwise
 * aborts the handshake whatever `dialTimeout` says, and it did: the nodes started last, on the busiest
 * loops, failed every dial of their bootstrap peers at 6.2-7.9 s and stayed alone for the whole run.
 */
export const LOADED_LOOP_LIBP2P = {
  connectionManager: { inboundConnectionThreshold: 10_000, dialTimeout: 120_000, addressDialTimeout: 120_000, inboundUpgradeTimeout: 120_000 },
  connectionMonitor: { abortConnectionOnPingFailure: false }
}

/** Parent → worker. */
export type ToWorker =
  | { type: 'start', index: number, bootstrap: string[], stem: boolean }
  | { type: 'status' }
  | { type: 'post', index: number, body: string }
  /** CROWD_PROFILE only: writes the CPU profile of the phase that ends now and starts the next one's. */
  | { type: 'profile', phase: string }
  | { type: 'stop' }

/** Worker → parent. */
export type ToParent =
  | { type: 'started', index: number, address: string, peerId: string }
  /** CROWD_TRACE=1 only: what a node's stem did with a post (`peers` named by PeerId; the parent maps them to indexes). */
  | { type: 'trace', index: number, id: string, at: number, what: string }
  | {
    type: 'status'
    nodes: number
    /** Nodes with at least one peer in the channel. */
    inChannel: number
    connections: number[]
    /** Distinct peers connected, per node (fewer than its connections: some peers hold two or more). */
    peers: number[]
    /** A few peers held by two or more connections: each connection's direction and remote address. */
    duplicates: string[]
    outbound: number[]
    channelPeers: number[]
    /** Event-loop delay since the last status, in ms. */
    lagP50: number
    lagP99: number
    lagMax: number
    /** CPU time this process used since the last status ÷ wall time (1 = one core). */
    cpuShare: number
    /** CPU time this process used since it started, in ms (the parent reads phases from differences). */
    cpuTotal: number
    /** Connections opened and closed since the last status, over this process's nodes (churn costs handshakes). */
    opened: number
    closed: number
    /** What each node with no channel peer has: its index, connections (outbound), gossipsub peers and open outbound gossip streams. */
    alone: string[]
    /** Open streams by protocol, over this process's nodes. */
    streams: Record<string, number>
  }
  /** `channelPeers`: the author's peers in the channel when it posted. */
  | { type: 'posted', index: number, status: string, channelPeers: number, id: string }
  | { type: 'delivered', index: number, body: string, at: number }
  | { type: 'profiled', file?: string }
  | { type: 'stopped' }
  | { type: 'error', message: string }
