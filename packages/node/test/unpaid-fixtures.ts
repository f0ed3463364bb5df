/**
 * Envelopes that cost their sender nothing and are refused before any proof of work is looked at, for the
 * tests of the per-peer budget of free refusals (UNPAID_IGNORES) on every path.
 */
import { buildEnvelope } from '@murmur/protocol'

/** `count` distinct envelopes of 1970 in `channel`: one built, then a byte of its body changed per copy (no proof of work). */
export async function expiredEnvelopes (channel: string, count: number): Promise<Uint8Array[]> {
  const { bytes } = await buildEnvelope({ channel, body: 'x'.repeat(64), powBits: 0, created: 1_000_000, ttl: 3_600 })
  const at = bytes.indexOf(0x78)
  return Array.from({ length: count }, (_, i) => {
    const copy = bytes.slice()
    copy[at] = 0x41 + (i % 26)
    copy[at + 1] = 0x41 + (Math.floor(i / 26) % 26)
    copy[at + 2] = 0x41 + (Math.floor(i / 676) % 26)
    return copy
  })
}
