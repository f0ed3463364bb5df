/**
 * A mix's keys and the replay tags seen under each: the current key, and the one before it (senders
 * that fetched it before a rotation still reach this mix for one more lifetime). A tag is kept as long as
 * its key, so a packet replayed at any time its key can open it is refused.
 */
import { generateMixKey, toHex, unwrapOnion } from '@murmur/protocol'
import { MAX_REPLAY_TAGS, MIX_KEY_LIFETIME } from './constants.js'
import type { MixKey, OnionRefused, OnionUnwrapped } from '@murmur/protocol'

interface Generation {
  key: MixKey
  tags: Set<string>
  created: number
}

/** Options of {@link MixKeyring}. */
export interface MixKeyringInit {
  /** @default MIX_KEY_LIFETIME (1 hour) */
  lifetime?: number
  /** @default MAX_REPLAY_TAGS (65,536) */
  maxTags?: number
  /** @default Date.now */
  now?(): number
}

/**
 * The keys of one mix.
 *
 * @example
 * ```ts
 * const keyring = new MixKeyring()
 * const opened = keyring.open(packet) // peeled with the current key, or the previous one
 * ```
 */
export class MixKeyring {
  private current: Generation
  private previous: Generation | undefined
  private readonly lifetime: number
  private readonly maxTags: number
  private readonly now: () => number

  constructor (init: MixKeyringInit = {}) {
    this.lifetime = init.lifetime ?? MIX_KEY_LIFETIME
    this.maxTags = init.maxTags ?? MAX_REPLAY_TAGS
    this.now = init.now ?? Date.now
    this.current = this.fresh()
  }

  /** The public key senders wrap for now. */
  get publicKey (): Uint8Array {
    this.age()
    return this.current.key.publicKey
  }

  /** Milliseconds until the current key is replaced (by time; a full tag set replaces it earlier). */
  get expiresIn (): number {
    this.age()
    return Math.max(0, this.current.created + this.lifetime - this.now())
  }

  /**
   * Peels `packet` with the current key, or the previous one; records its replay tag under the key that
   * opened it. A packet seen before under that key is refused as ERR_ONION_REPLAY.
   */
  open (packet: Uint8Array): OnionUnwrapped | OnionRefused {
    this.age()
    let opened: OnionUnwrapped | OnionRefused = { ok: false, code: 'ERR_ONION_MAC', reason: 'no key' }
    for (const generation of this.previous === undefined ? [this.current] : [this.current, this.previous]) {
      opened = unwrapOnion(packet, generation.key.secretKey, { seen: (tag) => generation.tags.has(toHex(tag)) })
      if (opened.ok) {
        generation.tags.add(toHex(opened.tag))
        if (generation === this.current && generation.tags.size >= this.maxTags) this.rotate()
        return opened
      }
      if (opened.code !== 'ERR_ONION_MAC') return opened
    }
    return opened
  }

  private fresh (): Generation {
    return { key: generateMixKey(), tags: new Set(), created: this.now() }
  }

  private rotate (): void {
    this.previous = this.current
    this.current = this.fresh()
  }

  private age (): void {
    if (this.now() - this.current.created >= this.lifetime) this.rotate()
  }
}
