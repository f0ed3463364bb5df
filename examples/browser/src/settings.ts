/**
 * Where the page's settings come from. The relay, the proof of work and the stamp difficulty are the
 * user's: saved in localStorage, typed into the settings form, or proposed by a link
 * (`?relay=…&pow=…&stamp=…`). A link only proposes: the relay is a tab's only way into the network,
 * and the proof of work and stamp difficulty decide what it makes and accepts, so a crafted link must
 * not choose them behind the user's back (see link.ts). Whether the tab mints a member stamp is the
 * user's alone (its CPU): the membership panel's button, never a link; so is whether its own posts leave
 * through onion-wrapped first hops (its bandwidth and its anonymity): the settings form, never a link. `?channel=` (the channel shown
 * first) and `?store=` (the IndexedDB name) only navigate. The one relay taken without asking is the one
 * the page's own server publishes ({@link originRelays}): that server sent the page's code, so it could
 * pick the relay anyway; a link cannot change what it publishes.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { RELAY_HEADER } from '@murmur/node/relay-constants'
import { DEFAULT_POW_BITS, STAMP_BITS } from '@murmur/protocol'

/** The settings a page starts its node with. */
export interface PageSettings {
  /** Multiaddr (with /p2p/<peer id>) of the relay and bootstrap node, if known. */
  relay: string | undefined
  /** Proof-of-work bits, when the network runs with a non-default value. */
  powBits: number | undefined
  /** Member stamp bits, when the network runs with a non-default value. */
  stampBits: number | undefined
  /** Whether this tab mints a member stamp (MINT_KEY; on unless the user turned it off). */
  mint: boolean
  /** Whether own posts leave through 3 mixes (ONION_KEY; off unless the user turned it on: the node's `onion`). */
  onion: boolean
  /** Channel shown first. */
  channel: string
  /** IndexedDB name of the post store: the feed survives reloads. */
  store: string
}

/** The settings only the user decides (saved in localStorage). */
export type UserSettings = Pick<PageSettings, 'relay' | 'powBits' | 'stampBits'>

/** One setting a link wants to change: what it is now and what the link proposes. */
export interface LinkChange {
  setting: keyof UserSettings
  from: string | undefined
  to: string
}

/** What a page load starts from: the saved settings, and the changes its link proposes (maybe none). */
export interface SettingsProposal {
  settings: PageSettings
  proposed: UserSettings
  changes: LinkChange[]
}

const RELAY_KEY = 'murmur:relay'
const POW_KEY = 'murmur:pow'
const STAMP_KEY = 'murmur:stamp'
const MINT_KEY = 'murmur:mint'
const ONION_KEY = 'murmur:onion'
/** The most proof-of-work bits a node accepts (MurmurInit.powBits). */
const MAX_POW_BITS = 64
/** Link parameters that may only propose a change. */
export const LINK_SETTINGS = ['relay', 'pow', 'stamp'] as const

/** Reads the saved settings and what the link of this page load proposes. */
export function readSettings (location: Location, storage: Storage): SettingsProposal {
  const params = new URLSearchParams(location.search)
  const saved = savedSettings(storage)
  const linkedRelay = nonEmpty(params.get('relay'))
  const linkedPow = nonEmpty(params.get('pow'))
  const linkedStamp = nonEmpty(params.get('stamp'))
  const proposed: UserSettings = {
    relay: linkedRelay !== undefined && isRelayAddress(linkedRelay) ? linkedRelay : saved.relay,
    powBits: linkedPow !== undefined ? parsePowBits(linkedPow) ?? saved.powBits : saved.powBits,
    stampBits: linkedStamp !== undefined ? parsePowBits(linkedStamp) ?? saved.stampBits : saved.stampBits
  }
  const changes: LinkChange[] = []
  if (proposed.relay !== saved.relay && proposed.relay !== undefined) {
    changes.push({ setting: 'relay', from: saved.relay, to: proposed.relay })
  }
  if (proposed.powBits !== saved.powBits && proposed.powBits !== undefined) {
    changes.push({ setting: 'powBits', from: String(saved.powBits ?? powDefault()), to: String(proposed.powBits) })
  }
  if (proposed.stampBits !== saved.stampBits && proposed.stampBits !== undefined) {
    changes.push({ setting: 'stampBits', from: String(saved.stampBits ?? stampDefault()), to: String(proposed.stampBits) })
  }
  return {
    settings: {
      ...saved,
      mint: storage.getItem(MINT_KEY) !== 'off',
      onion: savedOnion(storage),
      channel: nonEmpty(params.get('channel')) ?? '#lobby',
      store: nonEmpty(params.get('store')) ?? 'murmur-example'
    },
    proposed,
    changes
  }
}

/** The relay, proof of work and stamp bits the user saved (by confirming a link or through the settings form). */
export function savedSettings (storage: Storage): UserSettings {
  const pow = storage.getItem(POW_KEY)
  const stamp = storage.getItem(STAMP_KEY)
  return {
    relay: nonEmpty(storage.getItem(RELAY_KEY)),
    powBits: pow === null ? undefined : parsePowBits(pow),
    stampBits: stamp === null ? undefined : parsePowBits(stamp)
  }
}

/** Saves whether this tab mints a member stamp (read again at the next page load). */
export function saveMint (storage: Storage, mint: boolean): void {
  if (mint) storage.removeItem(MINT_KEY)
  else storage.setItem(MINT_KEY, 'off')
}

/** Whether the user turned on onion-wrapped first hops (off by default: experimental, docs/ANONYMITY.md). */
export function savedOnion (storage: Storage): boolean {
  return storage.getItem(ONION_KEY) === 'on'
}

/** Saves whether own posts leave through onion-wrapped first hops (used from the next page load on). */
export function saveOnion (storage: Storage, onion: boolean): void {
  if (onion) storage.setItem(ONION_KEY, 'on')
  else storage.removeItem(ONION_KEY)
}

/** Saves the user's settings for this and the next visits (undefined clears one). */
export function saveSettings (storage: Storage, settings: UserSettings): void {
  if (settings.relay === undefined) storage.removeItem(RELAY_KEY)
  else storage.setItem(RELAY_KEY, settings.relay)
  if (settings.powBits === undefined) storage.removeItem(POW_KEY)
  else storage.setItem(POW_KEY, String(settings.powBits))
  if (settings.stampBits === undefined) storage.removeItem(STAMP_KEY)
  else storage.setItem(STAMP_KEY, String(settings.stampBits))
}

/**
 * The relay addresses the server of this page publishes (`murmur relay` serves the page with them), the
 * one on this page's host first; none when the page comes from any other server, or from nowhere
 * (offline). Asked of the page's own origin only (a HEAD of the page; a redirect is refused), which
 * answers any static server without an error.
 */
export async function originRelays (location: Location): Promise<string[]> {
  try {
    const response = await fetch(new URL('./', location.href), { method: 'HEAD', redirect: 'error', credentials: 'omit', cache: 'no-store' })
    const relays = (response.headers.get(RELAY_HEADER) ?? '').split(' ').filter(isRelayAddress)
    const here = (relay: string): number => Number(relay.includes(`/${location.hostname}/`))
    return relays.sort((a, b) => here(b) - here(a))
  } catch {
    return []
  }
}

/** Whether `text` is a multiaddr naming its peer (`…/p2p/<peer id>`), as a relay address must. */
export function isRelayAddress (text: string): boolean {
  try {
    return multiaddr(text).getComponents().some((component) => component.name === 'p2p')
  } catch {
    return false
  }
}

/** Proof-of-work bits from text: a whole number 0..64, else undefined. */
export function parsePowBits (text: string): number | undefined {
  const bits = /^\d{1,2}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  return Number.isInteger(bits) && bits <= MAX_POW_BITS ? bits : undefined
}

/** The network's default proof of work, as the settings show it. */
export function powDefault (): string {
  const { POST, REPLY, VOTE } = DEFAULT_POW_BITS
  return `default (${POST}/${REPLY}/${VOTE} bits)`
}

/** The network's default stamp difficulty, as the settings show it. */
export function stampDefault (): string {
  return `default (${STAMP_BITS} bits)`
}

function nonEmpty (value: string | null): string | undefined {
  return value === null || value.trim() === '' ? undefined : value.trim()
}
