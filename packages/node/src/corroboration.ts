/**
 * Vouches for posts in the store's quota: a post that a peer this node dialed also delivered is
 * *shared* (`PostStore.corroborate`), so a flooder that relays honest posts first (and has them charged
 * to its address group) cannot take them down with its own flood.
 *
 * Only peers this node dialed vouch: it chose them (the rendezvous samples providers), while any
 * address that connects here could be the flooder's second one, vouching for its whole flood. Their
 * copies come as gossip duplicates, which gossipsub drops before any validator sees them; it records
 * who delivered each message in its peer score (`score.deliveryRecords`, kept two minutes), read here
 * a second after the first copy. That is gossipsub's public class field, not its interface type: it
 * is read defensively, and without it vouching by duplicates is off (logged once).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { addressGroup } from './sync/admission.js'
import type { Connection, Logger, PeerId } from '@libp2p/interface'

/** How long after the first copy of a message its duplicates are looked up, in ms: they come within tens of ms. */
export const VOUCH_DELAY = 1_000

/** Most messages waiting for their lookup; the oldest are dropped (unvouched) beyond it. */
export const VOUCH_QUEUE = 8_192

/** The part of gossipsub's peer score read here: who delivered a message, by message id string. */
interface DeliveryRecords {
  getRecord(msgIdStr: string): { peers: Set<string> } | undefined
}

/** What {@link Corroboration} needs from the node. */
export interface CorroborationComponents {
  /** The gossipsub service (its `score.deliveryRecords` is read). */
  pubsub: unknown
  /** The open connections of a peer. */
  getConnections(peer: PeerId): Connection[]
  /** The store's vouch. */
  corroborate(id: Uint8Array, from: string): Promise<boolean>
  log: Logger
}

/**
 * Looks up, a second after a gossip message was first accepted, which peers this node dialed delivered
 * it too, and has the store mark the post shared for each of their address groups.
 *
 * @example
 * ```ts
 * const vouches = new Corroboration({ pubsub, getConnections: (p) => libp2p.getConnections(p), corroborate: (id, g) => store.corroborate(id, g), log })
 * vouches.watch(msgIdStr, post.id, propagationSource)
 * ```
 */
export class Corroboration {
  private readonly components: CorroborationComponents
  private readonly records?: DeliveryRecords
  private readonly queue: Array<{ msgIdStr: string, id: Uint8Array, due: number }> = []
  private timer?: ReturnType<typeof setTimeout>

  constructor (components: CorroborationComponents) {
    this.components = components
    const records = (components.pubsub as { score?: { deliveryRecords?: Partial<DeliveryRecords> } }).score?.deliveryRecords
    if (typeof records?.getRecord === 'function') {
      this.records = records as DeliveryRecords
    } else {
      components.log('gossipsub keeps no delivery records: posts are not vouched for by duplicates')
    }
  }

  /**
   * A gossip message carrying the post `id` was accepted from `from`: `from` vouches now when this node
   * dialed it, and the peers this node dialed that deliver duplicates vouch after {@link VOUCH_DELAY}.
   */
  watch (msgIdStr: string, id: Uint8Array, from: PeerId): void {
    this.vouch(id, from)
    if (this.records === undefined) return
    this.queue.push({ msgIdStr, id, due: Date.now() + VOUCH_DELAY })
    if (this.queue.length > VOUCH_QUEUE) this.queue.shift()
    this.timer ??= setTimeout(() => { this.drain() }, VOUCH_DELAY)
  }

  /** Stops the timer; the messages still waiting go unvouched. */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
  }

  private drain (): void {
    this.timer = undefined
    const now = Date.now()
    while (this.queue.length > 0 && (this.queue[0]?.due ?? Infinity) <= now) {
      const { msgIdStr, id } = this.queue.shift()!
      for (const peer of this.records?.getRecord(msgIdStr)?.peers ?? []) {
        this.vouch(id, peerIdFromString(peer))
      }
    }
    const next = this.queue[0]
    if (next !== undefined) this.timer = setTimeout(() => { this.drain() }, Math.max(0, next.due - now))
  }

  /** `peer` delivered the post `id`: if this node dialed it, its address group vouches. */
  private vouch (id: Uint8Array, peer: PeerId): void {
    const dialed = this.components.getConnections(peer).find((c) => c.direction === 'outbound' && c.status === 'open')
    if (dialed === undefined) return
    this.components.corroborate(id, addressGroup(dialed.remoteAddr)).catch((err: unknown) => {
      this.components.log('could not mark a post shared - %e', err)
    })
  }
}
