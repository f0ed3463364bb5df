import { describe, expect, it } from 'vitest'
import { SYNC_LIMITS, decodeEnvelope, decodeSyncMessage, encodeSyncMessage } from '../src/index.js'
import { MAX_RING_SIZE } from '../src/constants.js'
import { MAX_LINK_TAGS } from '../src/ring.js'

// Issue 12, RV14B H1 / M3: lists of empty entries passed the wire-shape walk uncounted, and protons then
// spent 0.6-2.9 s decoding a 2 MiB sync message (3.6-5.6 ms a ring of 8,000 empty members). Each test
// puts an unknown field (ERR_NOT_CANONICAL) right after the entry one past a limit: a walk that counts
// stops at that entry and never reads the junk, so the code tells how far the walk went, not the clock.

const varint = (n: number): number[] => {
  const out: number[] = []
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7 }
  out.push(n)
  return out
}
/** A length-delimited field `field` holding `body`. */
const bytesField = (field: number, body: Uint8Array): Uint8Array => Uint8Array.from([...varint((field << 3) | 2), ...varint(body.byteLength), ...body])
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}
const times = (n: number, part: Uint8Array): Uint8Array => {
  const out = new Uint8Array(n * part.byteLength)
  for (let i = 0; i < n; i++) out.set(part, i * part.byteLength)
  return out
}
/** An unknown field 15: never canonical, so reaching it means the walk went on. */
const JUNK = bytesField(15, new Uint8Array(0))
const ID = new Uint8Array(32).fill(7)
const codeOf = (run: () => unknown): string | undefined => {
  try { run() } catch (err) { return (err as { code?: string }).code }
  return undefined
}

describe('the wire-shape walk counts every list and stops at the first entry past its limit', () => {
  it.each([
    ['ranges', 2, SYNC_LIMITS.ranges, new Uint8Array(0)],
    ['need', 3, SYNC_LIMITS.need, ID],
    ['envelopes', 4, SYNC_LIMITS.envelopes, new Uint8Array(0)]
  ])('sync %s: %s entries past the limit stop the walk (ERR_MALFORMED), at the limit it walks on', (_, field, limit, entry) => {
    expect(codeOf(() => decodeSyncMessage(concat(times(limit + 1, bytesField(field, entry)), JUNK)))).toBe('ERR_MALFORMED')
    expect(codeOf(() => decodeSyncMessage(concat(times(limit, bytesField(field, entry)), JUNK)))).toBe('ERR_NOT_CANONICAL')
  })

  it('a million empty ranges (the 2 MiB attack) are refused at the 4,097th', () => {
    const attack = times(1_000_000, bytesField(2, new Uint8Array(0)))
    expect(attack.byteLength).toBeLessThanOrEqual(SYNC_LIMITS.maxBytes)
    expect(codeOf(() => decodeSyncMessage(attack))).toBe('ERR_MALFORMED')
  })

  it('ids of a range: 257 stop the walk inside the range; 256 walk on', () => {
    const range = (n: number): Uint8Array => bytesField(2, concat(times(n, bytesField(6, ID)), JUNK))
    expect(codeOf(() => decodeSyncMessage(range(SYNC_LIMITS.ids + 1)))).toBe('ERR_MALFORMED')
    expect(codeOf(() => decodeSyncMessage(range(SYNC_LIMITS.ids)))).toBe('ERR_NOT_CANONICAL')
  })

  it('ids and need are 32 bytes each: an empty or short one stops the walk at once', () => {
    expect(codeOf(() => decodeSyncMessage(concat(bytesField(3, new Uint8Array(0)), JUNK)))).toBe('ERR_MALFORMED')
    expect(codeOf(() => decodeSyncMessage(concat(bytesField(3, new Uint8Array(31)), JUNK)))).toBe('ERR_MALFORMED')
    expect(codeOf(() => decodeSyncMessage(concat(bytesField(2, concat(bytesField(6, new Uint8Array(0)), JUNK)))))).toBe('ERR_MALFORMED')
    // 4,000 ranges of 256 empty ids each: refused at the first id
    expect(codeOf(() => decodeSyncMessage(times(4000, bytesField(2, times(256, bytesField(6, new Uint8Array(0)))))))).toBe('ERR_MALFORMED')
  })

  it('genuine lists at their limits still decode', () => {
    const ranges = [{ upperCreated: 2n ** 64n - 1n, upperId: new Uint8Array(0), mode: 2, fingerprint: new Uint8Array(0), count: 0, ids: Array.from({ length: SYNC_LIMITS.ids }, () => ID) }]
    const need = Array.from({ length: SYNC_LIMITS.need }, () => ID)
    const bytes = encodeSyncMessage({ topic: 't', ranges, need, envelopes: Array.from({ length: SYNC_LIMITS.envelopes }, () => new Uint8Array(1)), pending: 0 } as never)
    const back = decodeSyncMessage(bytes)
    expect(back.ranges[0]?.ids.length).toBe(SYNC_LIMITS.ids)
    expect(back.need.length).toBe(SYNC_LIMITS.need)
    expect(back.envelopes.length).toBe(SYNC_LIMITS.envelopes)
  })

  it.each([
    ['ring', 1, MAX_RING_SIZE],
    ['s', 3, MAX_RING_SIZE],
    ['tags', 4, MAX_LINK_TAGS]
  ])('a ring\'s %s stops the walk one past its limit (ERR_BAD_RING); at the limit it walks on', (_, field, limit) => {
    const envelope = (n: number): Uint8Array => bytesField(3, concat(times(n, bytesField(field, new Uint8Array(0))), JUNK))
    expect(codeOf(() => decodeEnvelope(envelope(limit + 1)))).toBe('ERR_BAD_RING')
    expect(codeOf(() => decodeEnvelope(envelope(limit)))).toBe('ERR_NOT_CANONICAL')
  })

  it('a ring of 8,000 empty members is refused at the 65th', () => {
    const envelope = bytesField(3, concat(times(8000, bytesField(1, new Uint8Array(0))), JUNK))
    expect(envelope.byteLength).toBeLessThanOrEqual(16 * 1024)
    expect(codeOf(() => decodeEnvelope(envelope))).toBe('ERR_BAD_RING')
  })
})
