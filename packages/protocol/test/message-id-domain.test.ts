// Review of issue 12, Medium: messageId fell back to a plain SHA-256 of data that is not an envelope. A post
// id is itself a SHA-256, of "murmur/v2/id" || c || b, so those 76 bytes sent as data (a stem frame, a
// directory or circle message) had the genuine post's id wherever ids are kept (the stem's table, its
// embargo's "seen", the store's "has"). The fallback now hashes under its own domain string.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { authBinding, buildEnvelope, channelTopic, contentDigest, decodeEnvelope, gossipMessageId, messageId, postIdOf, toHex } from '../src/index.js'
import { VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]))

describe('messageId of data that is not an envelope', () => {
  it('is never a post id: the preimage of a genuine post id, sent as data, has an id of its own', async () => {
    const genuine = await buildEnvelope({ channel: '#lobby', body: 'the genuine post', created: VECTOR_NOW, powBits: 0 })
    const envelope = decodeEnvelope(genuine.bytes)
    const preimage = concat(utf8('murmur/v2/id'), contentDigest(TOPIC, envelope.post), authBinding(envelope))
    expect(postIdOf(TOPIC, preimage)).toBeUndefined()
    expect(toHex(messageId(TOPIC, genuine.bytes))).toBe(toHex(genuine.id))
    expect(toHex(messageId(TOPIC, preimage))).not.toBe(toHex(genuine.id))
  })

  it('is SHA-256("murmur/v2/data" || data), apart from the gossipsub message id', () => {
    for (const data of [new Uint8Array(0), utf8('not an envelope'), new Uint8Array(300).fill(7)]) {
      const expected = createHash('sha256').update(utf8('murmur/v2/data')).update(data).digest('hex')
      expect(toHex(messageId(TOPIC, data))).toBe(expected)
      expect(toHex(messageId(TOPIC, data))).not.toBe(toHex(gossipMessageId(TOPIC, data)))
    }
  })
})
