import { equalBytes } from './bytes.js'
import { decodeEnvelope } from './codec.js'
import { authBinding, contentDigest, postId } from './digest.js'
import { oneTimeKey, pseudonymSeed } from './one-time.js'

/** A thread's root post as stored: its topic and its envelope bytes. */
export interface ThreadRoot {
  /** The gossipsub topic of the root (`channelTopic(root.channel)`). */
  topic: string
  /** The root's envelope bytes, as received or built. */
  envelope: Uint8Array
}

/**
 * The 32-byte Ed25519 seed an author signs with inside the thread of `root`. If the author wrote the root
 * (its one-time key is the pseudonym of the root's content digest, `pseudonymSeed(x, c)`, which is how
 * `buildEnvelope` signs a root whose seed is a function), the same seed, so readers see the replies as
 * the OP's; otherwise `pseudonymSeed(x, rootId)`, which is bound to that root's signer: a copy of the
 * root re-signed by someone else is another thread, and the author's key there is unlinkable to this one.
 * Throws a ProtocolError when the root envelope does not decode.
 *
 * @example
 * ```ts
 * const seed = threadPseudonymSeed(author.secretKey, { topic: channelTopic(root.channel), envelope: root.envelope })
 * await buildEnvelope({ channel: root.channel, kind: 'REPLY', parent, body, auth: { kind: 'one-time', seed } })
 * ```
 */
export function threadPseudonymSeed (authorSecretKey: Uint8Array, root: ThreadRoot): Uint8Array {
  const envelope = decodeEnvelope(root.envelope)
  const content = contentDigest(root.topic, envelope.post)
  if (envelope.oneTime !== undefined) {
    const own = pseudonymSeed(authorSecretKey, content)
    if (equalBytes(oneTimeKey(own).publicKey, envelope.oneTime.publicKey)) return own
  }
  return pseudonymSeed(authorSecretKey, postId(content, authBinding(envelope)))
}
