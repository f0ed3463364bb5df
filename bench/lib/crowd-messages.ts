// What bench/crowd.ts and its worker processes (crowd-worker.ts) say to each other, and the settings
// both use.

/** The channel every node of the crowd joins. */
export const CROWD_CHANNEL = '#crowd'

/**
 * Many nodes share each event loop (a real crowd has one per machine): handshakes and pings can be slow
 * under that load, so they get time instead of being aborted. Nothing here changes gossip or discovery.
 */
export const LOADED_LOOP_LIBP2P = {
  connectionManager: { inboundConnectionThreshold: 10_000, dialTimeout: 120_000, inboundUpgradeTimeout: 120_000 },
  connectionMonitor: { abortConnectionOnPingFailure: false }
}

/** Parent → worker. */
export type ToWorker =
  | { type: 'start', index: number, bootstrap: string[], stem: boolean }
  | { type: 'status' }
  | { type: 'post', index: number, body: string }
  | { type: 'stop' }

/** Worker → parent. */
export type ToParent =
  | { type: 'started', index: number, address: string }
  | {
    type: 'status'
    nodes: number
    /** Nodes with at least one peer in the channel. */
    inChannel: number
    connections: number[]
    outbound: number[]
    channelPeers: number[]
    /** Event-loop delay since the last status, in ms. */
    lagP50: number
    lagP99: number
    lagMax: number
    /** CPU time this process used since the last status ÷ wall time (1 = one core). */
    cpuShare: number
  }
  | { type: 'posted', index: number, status: string }
  | { type: 'delivered', index: number, body: string, at: number }
  | { type: 'stopped' }
  | { type: 'error', message: string }
