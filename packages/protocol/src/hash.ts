import { concatBytes, utf8 } from './bytes.js'
import { sodium } from './sodium.js'

/** Domain strings of every hash in protocol v2 (ASCII, prefixed to the hashed bytes). */
export const DOMAIN = Object.freeze({
  content: utf8('murmur/v2/content'),
  auth: utf8('murmur/v2/auth'),
  id: utf8('murmur/v2/id'),
  msg: utf8('murmur/v2/msg'),
  /** The id of gossip data that is not an envelope (digest.ts messageId). */
  data: utf8('murmur/v2/data'),
  pow: utf8('murmur/v2/pow'),
  powInput: utf8('murmur/v2/pow-input'),
  nym: utf8('murmur/v2/nym'),
  slot: utf8('murmur/v2/slot'),
  hs: utf8('murmur/v2/hs'),
  hp: utf8('murmur/v2/hp'),
  postScope: utf8('murmur/v2/scope/post'),
  weekScope: utf8('murmur/v2/scope/week'),
  voteScope: utf8('murmur/v2/scope/vote'),
  voteBudgetScope: utf8('murmur/v2/scope/vote-budget'),
  downvoteBudgetScope: utf8('murmur/v2/scope/downvote-budget'),
  threadScope: utf8('murmur/v2/scope/thread'),
  circleTopic: utf8('murmur/v2/circle-topic'),
  sealNonce: utf8('murmur/v2/seal-nonce')
})

// libsodium's SHA-2 measured fastest in both Node and browsers (docs/BENCHMARKS.md, "hashing").

/** SHA-256 of the concatenation of the parts. */
export function sha256 (...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_hash_sha256(parts.length === 1 ? parts[0]! : concatBytes(parts))
}

/** SHA-512 of the concatenation of the parts. */
export function sha512 (...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_hash_sha512(parts.length === 1 ? parts[0]! : concatBytes(parts))
}
