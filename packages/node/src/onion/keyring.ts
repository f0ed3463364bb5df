/**
 * A mix's keys and the replay tags seen under each. A key is announced for one lifetime from its
 * creation and opened for one more (senders fetched it until it was replaced, and may keep it until its
 * announced expiry); its tags are kept as long as it is, so a packet replayed at any time its key can
 * open it is refused.
 *
 * A key holds at most `maxTags` tags (memory), shared between the address groups the packets came from:
 * one group may record a fair share of what the others leave (`fairShare`, a half), so it never holds
 * more than half a key. At three quarters of its tags (which only two groups or more reach) the key is
 * replaced early, and stays open until its own expiry with the last quarter for the senders still
 * holding it. Before, the key was replaced once full and only one previous key was opened: anyone could
 * fetch the key and send 2 × 65,536 packets whose MAC checks, and every honest sender's key was refused
 * (ERR_ONION_MAC) until its announced expiry, up to an hour (fifteenth read of issue 12, Medium 1); a
 * mix busier than 65,536 packets an hour did it to itself (Low 1). At most `maxKeys` keys are held:
 * past that a key is not replaced by count (its packets are refused once it is full, ERR_MIX_SHARE), and
 * a replacement by time drops the oldest, which is then always past its announced expiry.
 */
import { generateMixKey, toHex, unwrapOnion } from '@murmur/protocol'
import { fairShare } from '../relay-share.js'
import { increment } from '../sync/admission.js'
import { MAX_MIX_KEYS, MAX_REPLAY_TAGS, MIX_KEY_LIFETIME, MIX_TAG_SHARE } from './constants.js'
import type { MixKey, OnionRefused, OnionUnwrapped } from '@murmur/protocol'

interface Generation {
  key: MixKey
  tags: Set<string>
  /** Tags recorded under this key per address group. */
  byGroup: Map<string, number>
  created: number
}

/** A packet whose sender's address group holds its share of the tags of the key that opened it. */
export interface MixShareRefused {
  ok: false
  code: 'ERR_MIX_SHARE'
  reason: string
}

/** A packet a key opened; `keep()` records its replay tag, charged to its group, once the mix holds it. */
export type MixOpened = OnionUnwrapped & { keep(): void }

/** Options of {@link MixKeyring}. */
export interface MixKeyringInit {
  /** How long a key is announced for, in ms; it is opened for as long again. @default MIX_KEY_LIFETIME (1 hour) */
  lifetime?: number
  /** Replay tags one key holds. @default MAX_REPLAY_TAGS (65,536) */
  maxTags?: number
  /** Fraction of a key's tags that other address groups leave which one group may record. @default MIX_TAG_SHARE (0.5) */
  share?: number
  /** Keys held at once. @default MAX_MIX_KEYS (3) */
  maxKeys?: number
  /** @default Date.now */
  now?(): number
}

/**
 * The keys of one mix.
 *
 * @example
 * ```ts
 * const keyring = new MixKeyring()
 * const opened = keyring.open(packet, group) // peeled with any key still open
 * if (opened.ok) opened.keep() // once the packet is held: its tag recorded
 * ```
 */
export class MixKeyring {
  /** Oldest first; the last is the current key. */
  private readonly generations: Generation[] = []
  private readonly lifetime: number
  private readonly maxTags: number
  private readonly share: number
  private readonly maxKeys: number
  /** Tags at which the current key is replaced early: more than any one group can hold. */
  private readonly replaceAt: number
  private readonly now: () => number

  constructor (init: MixKeyringInit = {}) {
    this.lifetime = init.lifetime ?? MIX_KEY_LIFETIME
    this.maxTags = init.maxTags ?? MAX_REPLAY_TAGS
    this.share = init.share ?? MIX_TAG_SHARE
    this.maxKeys = init.maxKeys ?? MAX_MIX_KEYS
    this.replaceAt = Math.ceil(this.maxTags * (1 + this.share) / 2)
    this.now = init.now ?? Date.now
    this.generations.push(this.fresh())
  }

  /** The public key senders wrap for now. */
  get publicKey (): Uint8Array {
    return this.current().key.publicKey
  }

  /** Milliseconds until the current key is replaced (by time; tags from two groups or more replace it earlier). */
  get expiresIn (): number {
    return Math.max(0, this.current().created + this.lifetime - this.now())
  }

  /**
   * Peels `packet`, which came from address group `group`, with the newest key that opens it. A packet
   * seen before under that key is refused as ERR_ONION_REPLAY; one from a group holding its share of that
   * key's tags as ERR_MIX_SHARE. Nothing is recorded until the opened packet's `keep()`: a packet the
   * mix does not hold (a message or next hop that is not canonical) spends no tag.
   */
  open (packet: Uint8Array, group: string): MixOpened | OnionRefused | MixShareRefused {
    this.age()
    let opened: OnionUnwrapped | OnionRefused = { ok: false, code: 'ERR_ONION_MAC', reason: 'no key' }
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const generation = this.generations[i]!
      opened = unwrapOnion(packet, generation.key.secretKey, { seen: (tag) => generation.tags.has(toHex(tag)) })
      if (opened.ok) {
        const mine = generation.byGroup.get(group) ?? 0
        if (mine >= fairShare(this.maxTags, generation.tags.size - mine, this.share)) {
          return { ok: false, code: 'ERR_MIX_SHARE', reason: `the sender's address group holds ${mine} of the key's ${generation.tags.size} tags` }
        }
        const { tag } = opened
        return { ...opened, keep: () => { this.keep(generation, group, tag) } }
      }
      if (opened.code !== 'ERR_ONION_MAC') return opened
    }
    return opened
  }

  private keep (generation: Generation, group: string, tag: Uint8Array): void {
    generation.tags.add(toHex(tag))
    increment(generation.byGroup, group)
    if (generation === this.current() && generation.tags.size >= this.replaceAt && this.generations.length < this.maxKeys) {
      this.generations.push(this.fresh())
    }
  }

  private current (): Generation {
    this.age()
    return this.generations[this.generations.length - 1]!
  }

  private fresh (): Generation {
    return { key: generateMixKey(), tags: new Set(), byGroup: new Map(), created: this.now() }
  }

  /**
   * Drops the keys a lifetime past their announced expiry, and replaces the current key once its own
   * expiry has come; past `maxKeys`, the oldest goes (created before the current key, so past its expiry).
   */
  private age (): void {
    const now = this.now()
    while (this.generations.length > 1 && now - this.generations[0]!.created >= 2 * this.lifetime) this.generations.shift()
    if (now - this.generations[this.generations.length - 1]!.created < this.lifetime) return
    this.generations.push(this.fresh())
    while (this.generations.length > this.maxKeys) this.generations.shift()
  }
}
