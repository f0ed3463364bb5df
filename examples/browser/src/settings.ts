/**
 * Where the page's settings come from: the URL (`?relay=…&channel=…`), else what the relay field
 * saved in localStorage.
 */

/** The settings of one page load. */
export interface PageSettings {
  /** Multiaddr (with /p2p/<peer id>) of the relay and bootstrap node, if known. */
  relay: string | undefined
  /** Channel shown first. */
  channel: string
  /** IndexedDB name of the post store: the feed survives reloads. */
  store: string
  /** Proof-of-work bits, when the network runs with a non-default value. */
  powBits: number | undefined
}

const RELAY_KEY = 'murmur:relay'

/** Reads the settings of this page load. */
export function readSettings (location: Location, storage: Storage): PageSettings {
  const params = new URLSearchParams(location.search)
  const relay = nonEmpty(params.get('relay')) ?? nonEmpty(storage.getItem(RELAY_KEY))
  const pow = params.get('pow')
  return {
    relay,
    channel: nonEmpty(params.get('channel')) ?? '#lobby',
    store: nonEmpty(params.get('store')) ?? 'murmur-example',
    powBits: pow === null || !/^\d+$/.test(pow) ? undefined : Number(pow)
  }
}

/** Remembers the relay typed into the config field for the next visits. */
export function saveRelay (storage: Storage, relay: string): void {
  storage.setItem(RELAY_KEY, relay)
}

function nonEmpty (value: string | null): string | undefined {
  return value === null || value.trim() === '' ? undefined : value.trim()
}
