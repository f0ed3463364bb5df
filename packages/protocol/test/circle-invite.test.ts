import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateAuthorKey, ready, toHex } from '../src/index.js'
import { decodeInvite, encodeInvite, hasInviteKey, inviteKey, INVITE_PREFIX, MAX_INVITE_HINTS } from '../src/circle/invite.js'
import type { CircleInvite } from '../src/circle/invite.js'
import { InvalidInviteError } from '../src/circle/errors.js'
import { deriveCircleKeys, isCircleFrameTopic } from '../src/circle/keys.js'
import { seededRandom } from './helpers.js'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { concatBytes } from '../src/bytes.js'
import { sodium } from '../src/sodium.js'

await ready()
const owner = generateAuthorKey(seededRandom('invite-owner')).publicKey
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function invite (overrides: Partial<CircleInvite> = {}): CircleInvite {
  const random = seededRandom('invite')
  return { secret: random(32), generation: 3, owner, inviteSeed: random(16), minRing: 5, name: 'book club', hints: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWAbc'], ...overrides }
}

const inviteArb: fc.Arbitrary<CircleInvite> = fc.record({
  secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  generation: fc.nat(),
  owner: fc.constant(owner),
  inviteSeed: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  minRing: fc.integer({ min: 2, max: 64 }),
  name: fc.constantFrom('', 'a', 'book club', 'ÄÖÜ friends', '日本語'),
  hints: fc.array(fc.stringMatching(/^\/[a-z0-9/.]{1,60}$/), { maxLength: MAX_INVITE_HINTS })
})

/** The code an invite string gets, or 'ok'. */
function codeOf (text: string): string {
  try {
    decodeInvite(text)
    return 'ok'
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInviteError)
    return (err as InvalidInviteError).code
  }
}

describe('circle keys', () => {
  it('derive independent keys and a topic that says nothing of them; a generation or another owner gives unrelated ones', () => {
    const secret = seededRandom('keys')(32)
    const a = deriveCircleKeys(secret, 0, owner)
    const b = deriveCircleKeys(secret, 1, owner)
    const other = deriveCircleKeys(seededRandom('other')(32), 0, owner)
    const otherOwner = deriveCircleKeys(secret, 0, generateAuthorKey(seededRandom('false-owner')).publicKey)
    expect(isCircleFrameTopic(a.topic)).toBe(true)
    const values = (k: typeof a): string[] => [toHex(k.sealKey), toHex(k.postKey), toHex(k.rosterKey), k.topic.slice(-32), k.channel.slice(-32)]
    const all = [...values(a), ...values(b), ...values(other), ...values(otherOwner)]
    expect(new Set(all).size).toBe(all.length)
    // the topic is no function of the keys anyone outside could compute
    for (const v of values(a).slice(0, 3)) expect(a.topic).not.toContain(v.slice(0, 8))
    expect(a.innerTopic).toBe(`murmur/2/circle/${a.channel.slice('circle:'.length)}`)
    expect(deriveCircleKeys(secret, 0, owner)).toEqual(a)
  })

  it('refuse a secret that is not 32 bytes and a generation that is not a u32', () => {
    expect(() => deriveCircleKeys(new Uint8Array(31), 0, owner)).toThrow(TypeError)
    expect(() => deriveCircleKeys(new Uint8Array(32), 0, new Uint8Array(31))).toThrow(TypeError)
    expect(() => deriveCircleKeys(new Uint8Array(32), -1, owner)).toThrow(RangeError)
    expect(() => deriveCircleKeys(new Uint8Array(32), 2 ** 32, owner)).toThrow(RangeError)
  })
})

describe('circle invites', () => {
  it('round-trip, in QR alphanumeric characters, forgiving case and whitespace', () => {
    fc.assert(fc.property(inviteArb, (value) => {
      const text = encodeInvite(value)
      expect(text).toMatch(/^[0-9A-Z $%*+\-./:]+$/)
      expect(decodeInvite(text)).toEqual(value)
      const pasted = `  ${text.toLowerCase().replace(/(.{40})/g, '$1\n')}  `
      expect(decodeInvite(pasted)).toEqual(value)
    }), { seed: 15, numRuns: 200 })
  })

  it('is short enough to copy: 162 characters bare, 176 with a 9-byte name, 240 with a 40-byte hint', () => {
    expect(encodeInvite(invite({ hints: [], name: '' })).length).toBe(162)
    expect(encodeInvite(invite({ hints: [] })).length).toBe(176)
    expect(encodeInvite(invite()).length).toBe(240)
  })

  it('refuses every single-character change (case aside) with a typed error', () => {
    fc.assert(fc.property(inviteArb, (value) => {
      const text = encodeInvite(value)
      for (let i = 0; i < text.length; i++) {
        for (const c of `${BASE32}019:@ `) {
          if (c === text[i]) continue
          const changed = text.slice(0, i) + c + text.slice(i + 1)
          if (c === ' ') continue // a space is forgiven: that is a deletion, tested below
          expect(codeOf(changed), `${i}: ${text[i]!} -> ${c}`).not.toBe('ok')
        }
      }
    }), { seed: 1015, numRuns: 12 })
  })

  it('refuses every truncation, and every deleted or doubled character', () => {
    fc.assert(fc.property(inviteArb, (value) => {
      const text = encodeInvite(value)
      for (let i = 0; i < text.length; i++) {
        const cut = codeOf(text.slice(0, i))
        expect(cut, `cut at ${i}`).toBe(i < INVITE_PREFIX.length ? 'ERR_INVITE_FORMAT' : 'ERR_INVITE_TRUNCATED')
        expect(codeOf(text.slice(0, i) + text.slice(i + 1)), `deleted ${i}`).not.toBe('ok')
        expect(codeOf(text.slice(0, i + 1) + text.slice(i)), `doubled ${i}`).not.toBe('ok')
      }
    }), { seed: 2015, numRuns: 12 })
  })

  it('says which: a cut invite is truncated, a changed one damaged, another version a version', () => {
    const text = encodeInvite(invite())
    expect(codeOf(text.slice(0, -5))).toBe('ERR_INVITE_TRUNCATED')
    expect(codeOf('MURMUR:CIRCLE:')).toBe('ERR_INVITE_TRUNCATED')
    const middle = INVITE_PREFIX.length + 30
    expect(codeOf(text.slice(0, middle) + (text[middle] === 'A' ? 'B' : 'A') + text.slice(middle + 1))).toBe('ERR_INVITE_CHECKSUM')
    expect(codeOf('https://example.com')).toBe('ERR_INVITE_FORMAT')
    expect(codeOf(text.replace('MURMUR:CIRCLE:', 'MURMUR:CIRCLE:1'))).toBe('ERR_INVITE_FORMAT')
    // a version-2 invite with a good checksum: a format this code does not read
    const future = reencode(text, (bytes) => { bytes[0] = 2 })
    expect(codeOf(future)).toBe('ERR_INVITE_VERSION')
    // checksummed but out of range: a minimum ring of 1, and an identity owner key
    expect(codeOf(reencode(text, (bytes) => { bytes[1 + 4 + 32 + 32 + 16] = 1 }))).toBe('ERR_INVITE_MALFORMED')
    expect(codeOf(reencode(text, (bytes) => { bytes.fill(0, 37, 69) }))).toBe('ERR_INVITE_MALFORMED')
  })

  it('a fuzz of strings never throws anything but InvalidInviteError', () => {
    const text = encodeInvite(invite())
    fc.assert(fc.property(fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: fc.constantFrom(...BASE32), maxLength: 300 }).map((s) => INVITE_PREFIX + s),
      fc.tuple(fc.nat(text.length), fc.string({ maxLength: 8 })).map(([i, s]) => text.slice(0, i) + s + text.slice(i))
    ), (s) => {
      expect(codeOf(s)).toMatch(/^(ok|ERR_INVITE_[A-Z]+)$/)
    }), { seed: 3015, numRuns: 2000 })
    expect(codeOf(undefined as unknown as string)).toBe('ERR_INVITE_FORMAT')
  })

  it('refuses to write a field out of range', () => {
    expect(() => encodeInvite(invite({ name: 'x'.repeat(33) }))).toThrow(RangeError)
    expect(() => encodeInvite(invite({ name: 'a\u202eb' }))).toThrow(RangeError)
    expect(() => encodeInvite(invite({ minRing: 1 }))).toThrow(RangeError)
    expect(() => encodeInvite(invite({ hints: ['not-a-multiaddr'] }))).toThrow(RangeError)
    expect(() => encodeInvite(invite({ hints: Array(5).fill('/ip4/1.2.3.4') }))).toThrow(RangeError)
  })

  it('an invite key is the same from the same seed, and a zero seed is none', () => {
    const value = invite()
    expect(hasInviteKey(value)).toBe(true)
    expect(hasInviteKey({ inviteSeed: new Uint8Array(16) })).toBe(false)
    expect(inviteKey(value.inviteSeed)).toEqual(inviteKey(value.inviteSeed))
  })
})

/** The invite with its payload changed by `edit` and its checksum made right again (what a hand-builder does), by the spec's text. */
function reencode (text: string, edit: (bytes: Uint8Array) => void): string {
  const raw = fromString(text.slice(INVITE_PREFIX.length), 'base32upper')
  const payload = raw.slice(0, -4)
  edit(payload)
  const check = sodium.crypto_generichash(32, concatBytes([new TextEncoder().encode('murmur/v2/circle/invite-checksum'), payload]), null).subarray(0, 4)
  return INVITE_PREFIX + toString(concatBytes([payload, check]), 'base32upper')
}
