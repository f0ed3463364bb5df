import { linkTag } from './auth.js'
import { equalBytes } from './bytes.js'
import { decodeEnvelope } from './codec.js'
import { authBinding, contentDigest, postId } from './digest.js'
import { oneTimeKey, pseudonymSeed } from './one-time.js'
import { threadScope } from './scope.js'

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

/**
 * The `thread` a member's ring-signed REPLY in the thread of `root` names (BuildEnvelopeOptions.thread),
 * which its thread tag is scoped to. If the member wrote the root (a ring-signed root whose thread tag is
 * the member's in the scope of the root's content digest), that digest, so readers see the replies as the
 * OP's; otherwise the root's id, which is bound to the root's signer: a copy of the root re-signed by
 * someone else is another thread, and the member's tag there is unlinkable to this one. The rule of
 * {@link threadPseudonymSeed}, for ring signatures. Throws a ProtocolError when the root does not decode.
 *
 * @example
 * ```ts
 * const thread = memberThread(member.secretKey, { topic: channelTopic(root.channel), envelope: root.envelope })
 * await buildEnvelope({ channel: root.channel, kind: 'REPLY', parent, thread, body, auth: { kind: 'ring', ring, secretKey: member.secretKey } })
 * ```
 */
export function memberThread (memberSecretKey: Uint8Array, root: ThreadRoot): Uint8Array {
  const envelope = decodeEnvelope(root.envelope)
  const content = contentDigest(root.topic, envelope.post)
  // a ring-signed POST carries [hour, week, thread]; a sealed or one-time root has no member thread tag
  const rootTag = envelope.ring?.tags[2]
  if (rootTag !== undefined && equalBytes(linkTag(memberSecretKey, threadScope(root.topic, content)), rootTag)) return content
  return postId(content, authBinding(envelope))
}
