/**
 * Sphinx-style layered packets (Danezis & Goldberg 2009, as laid out by the libp2p mix specification):
 * the sender wraps a message for a path of mixes; each mix peels one layer with its key, learns only the
 * next hop and how long to hold the packet, and forwards a packet of the same size that it cannot link
 * to the one it received except by the time. Unlike the mix specification, every hop's MAC covers the
 * payload as well as the routing (there are no reply blocks, so the sender knows every layer): a packet
 * altered anywhere on the path is refused by the next honest hop, not carried on to the exit.
 */
import { concatBytes } from '../bytes.js'
import { sodium } from '../sodium.js'
import {
  MIX_KEY_BYTES, ONION_ALPHA_BYTES, ONION_BETA_BYTES, ONION_HEADER_BYTES, ONION_MAX_HOPS,
  ONION_MAX_MESSAGE_BYTES, ONION_PACKET_BYTES, ONION_ROUTING_BYTES, ONION_SLOT_BYTES
} from './constants.js'
import { OnionError } from './errors.js'
import { blinding, hopKeys, isMixPublicKey, keystream, mac, scalarMult, scalarMul, streamXor, xor } from './keys.js'
import { decodePayload, decodeRouting, encodePayload, encodeRouting, isOnionAddress, isOnionDelay, isOnionPeerId } from './routing.js'
import type { OnionErrorCode } from './errors.js'
import type { HopKeys } from './keys.js'
import type { OnionRouting } from './routing.js'

/** One mix of a path, as the sender knows it. */
export interface OnionHop {
  /** The mix's public key (32 bytes, ristretto255). */
  publicKey: Uint8Array
  /** The mix's PeerId bytes (its multihash, 1 to 44 bytes): where the hop before it sends the packet. */
  peerId: Uint8Array
  /** An address the hop before can dial it at (a multiaddr's bytes, at most 63). @default none: by PeerId alone */
  address?: Uint8Array
  /** Milliseconds the mix holds the packet before it forwards or delivers it (0 to 65535). */
  delay: number
}

/** What {@link wrapOnion} wraps. */
export interface WrapOnionInput {
  /** The path, first mix first; the last one is the exit. 1 to ONION_MAX_HOPS hops. */
  hops: readonly OnionHop[]
  /** What the exit receives: at most ONION_MAX_MESSAGE_BYTES. */
  message: Uint8Array
  /** The ephemeral scalar (test vectors only): canonical, below the group order. @default a fresh random scalar */
  secret?: Uint8Array
}

/** What a mix learns from a packet it could open. */
export type OnionUnwrapped =
  | { ok: true, tag: Uint8Array, kind: 'relay', delay: number, next: Uint8Array, address: Uint8Array, packet: Uint8Array }
  | { ok: true, tag: Uint8Array, kind: 'exit', delay: number, message: Uint8Array }

/** A packet a mix refuses; `tag` is there once the shared secret was derived. */
export interface OnionRefused {
  ok: false
  /** never ERR_ONION_PATH: that is a wrapper's error (a bad path given to wrapOnion) */
  code: Exclude<OnionErrorCode, 'ERR_ONION_PATH'>
  reason: string
  tag?: Uint8Array
}

/** Options of {@link unwrapOnion}. */
export interface UnwrapOnionOptions {
  /** Whether this mix has seen a replay tag under its key: such a packet is refused as ERR_ONION_REPLAY. @default none seen */
  seen?(tag: Uint8Array): boolean
}

/**
 * Whether `scalar` is a canonical ristretto255 scalar other than 0: a scalar ≥ ℓ would give the first hop
 * g^(x mod 2^255) and the key schedule x mod ℓ, so the later hops would be given an α the sender did not
 * compute and lose the packet.
 */
const isCanonicalScalar = (scalar: unknown): boolean =>
  scalar instanceof Uint8Array && scalar.byteLength === MIX_KEY_BYTES && !scalar.every((byte) => byte === 0) &&
  sodium.memcmp(sodium.crypto_core_ristretto255_scalar_reduce(concatBytes([scalar, new Uint8Array(MIX_KEY_BYTES)])), scalar)

function checkPath (input: WrapOnionInput): void {
  const { hops, message } = input
  if (!Array.isArray(hops) || hops.length === 0 || hops.length > ONION_MAX_HOPS) {
    throw new OnionError('ERR_ONION_PATH', `expected 1 to ${ONION_MAX_HOPS} hops, got ${Array.isArray(hops) ? hops.length : typeof hops}`)
  }
  hops.forEach((hop, i) => {
    if (!isMixPublicKey(hop.publicKey)) throw new OnionError('ERR_ONION_PATH', `hop ${i}: expected a ${MIX_KEY_BYTES}-byte ristretto255 public key`)
    if (!isOnionPeerId(hop.peerId)) throw new OnionError('ERR_ONION_PATH', `hop ${i}: expected a PeerId of 1 to 44 bytes`)
    if (hop.address !== undefined && !isOnionAddress(hop.address)) throw new OnionError('ERR_ONION_PATH', `hop ${i}: expected an address of at most 63 bytes`)
    if (!isOnionDelay(hop.delay)) throw new OnionError('ERR_ONION_PATH', `hop ${i}: expected a delay of 0 to 65535 ms, got ${String(hop.delay)}`)
  })
  if (input.secret !== undefined && !isCanonicalScalar(input.secret)) {
    throw new OnionError('ERR_ONION_PATH', `expected the ephemeral secret as a canonical non-zero ${MIX_KEY_BYTES}-byte scalar (below the group order)`)
  }
  if (!(message instanceof Uint8Array) || message.byteLength > ONION_MAX_MESSAGE_BYTES) {
    throw new OnionError('ERR_ONION_PATH', `expected a message of at most ${ONION_MAX_MESSAGE_BYTES} bytes, got ${message instanceof Uint8Array ? message.byteLength : typeof message}`)
  }
}

/** Per hop: its α and keys, from the ephemeral scalar (α_i = g^(x·b_0·…·b_{i-1}), s_i = y_i^(same)). */
function schedule (hops: readonly OnionHop[], secret: Uint8Array): Array<{ alpha: Uint8Array, keys: HopKeys }> {
  let scalar = secret
  return hops.map((hop, i) => {
    const alpha = scalarMult(scalar)
    const shared = scalarMult(scalar, hop.publicKey)
    if (alpha === undefined || shared === undefined) throw new OnionError('ERR_ONION_PATH', `hop ${i}: the key exchange gave the identity`)
    scalar = scalarMul(scalar, blinding(alpha, shared))
    return { alpha, keys: hopKeys(shared) }
  })
}

/**
 * Wraps `message` for `hops`: a packet of exactly ONION_PACKET_BYTES to send to `hops[0]`. Each hop
 * learns the next hop's PeerId and address (the last: that it is the exit) and its own delay; only the exit reads
 * the message. Throws OnionError ERR_ONION_PATH on a path or message it cannot wrap.
 *
 * @example
 * ```ts
 * const packet = wrapOnion({ hops: [{ publicKey, peerId: peer.toMultihash().bytes, delay: 800 }, ...], message })
 * packet.byteLength // ONION_PACKET_BYTES
 * ```
 */
export function wrapOnion (input: WrapOnionInput): Uint8Array {
  checkPath(input)
  const { hops } = input
  const layers = schedule(hops, input.secret ?? sodium.crypto_core_ristretto255_scalar_random())
  const n = hops.length

  // filler: the bytes each hop appends to β as it shifts it, known in advance so the MACs cover them
  let filler: Uint8Array = new Uint8Array(0)
  for (let i = 1; i < n; i++) {
    const stream = keystream(layers[i - 1]!.keys.header, ONION_BETA_BYTES + ONION_SLOT_BYTES)
    filler = xor(concatBytes([filler, new Uint8Array(ONION_SLOT_BYTES)]), stream.subarray(ONION_BETA_BYTES - (i - 1) * ONION_SLOT_BYTES))
  }

  // δ: the exit's plaintext under every hop's payload stream, innermost first
  const deltas: Uint8Array[] = new Array(n)
  let delta: Uint8Array = encodePayload(input.message)
  for (let i = n - 1; i >= 0; i--) {
    delta = streamXor(layers[i]!.keys.payload, delta)
    deltas[i] = delta
  }

  // β and γ, from the exit outwards: each hop's slot holds its routing and the next hop's γ
  const routing = (i: number): OnionRouting => i === n - 1
    ? { kind: 'exit', delay: hops[i]!.delay }
    : { kind: 'relay', delay: hops[i]!.delay, next: hops[i + 1]!.peerId, address: hops[i + 1]!.address ?? new Uint8Array(0) }
  const exitPlain = concatBytes([encodeRouting(routing(n - 1)), new Uint8Array(ONION_BETA_BYTES - ONION_ROUTING_BYTES - (n - 1) * ONION_SLOT_BYTES)])
  let beta: Uint8Array = concatBytes([streamXor(layers[n - 1]!.keys.header, exitPlain), filler])
  let gamma = mac(layers[n - 1]!.keys.mac, beta, deltas[n - 1]!)
  for (let i = n - 2; i >= 0; i--) {
    const plain = concatBytes([encodeRouting(routing(i)), gamma, beta.subarray(0, ONION_BETA_BYTES - ONION_SLOT_BYTES)])
    beta = streamXor(layers[i]!.keys.header, plain)
    gamma = mac(layers[i]!.keys.mac, beta, deltas[i]!)
  }
  return concatBytes([layers[0]!.alpha, beta, gamma, deltas[0]!])
}

const refused = (code: OnionRefused['code'], reason: string, tag?: Uint8Array): OnionRefused => ({ ok: false, code, reason, ...(tag === undefined ? {} : { tag }) })

/**
 * Peels one layer of `packet` with this mix's `secretKey`. Never throws on bad input: a refusal carries
 * a stable code (ERR_ONION_SIZE, ERR_ONION_POINT, ERR_ONION_REPLAY, ERR_ONION_MAC, ERR_ONION_ROUTING,
 * ERR_ONION_PAYLOAD). A relay hop gets the packet to forward to `next`, an exit the message. The replay
 * `tag` is the same for every copy of a packet at this mix: the mix keeps the tags of the packets it
 * accepted for as long as it keeps its key, and passes them as `seen`.
 *
 * @example
 * ```ts
 * const opened = unwrapOnion(packet, mixKey.secretKey, { seen: (tag) => tags.has(toHex(tag)) })
 * if (opened.ok && opened.kind === 'relay') setTimeout(() => send(opened.next, opened.packet), opened.delay)
 * ```
 */
export function unwrapOnion (packet: Uint8Array, secretKey: Uint8Array, options: UnwrapOnionOptions = {}): OnionUnwrapped | OnionRefused {
  if (!(packet instanceof Uint8Array) || packet.byteLength !== ONION_PACKET_BYTES) {
    return refused('ERR_ONION_SIZE', `expected ${ONION_PACKET_BYTES} bytes, got ${packet instanceof Uint8Array ? packet.byteLength : typeof packet}`)
  }
  const alpha = packet.subarray(0, ONION_ALPHA_BYTES)
  const beta = packet.subarray(ONION_ALPHA_BYTES, ONION_ALPHA_BYTES + ONION_BETA_BYTES)
  const gamma = packet.subarray(ONION_ALPHA_BYTES + ONION_BETA_BYTES, ONION_HEADER_BYTES)
  const delta = packet.subarray(ONION_HEADER_BYTES)
  const shared = sodium.crypto_core_ristretto255_is_valid_point(alpha) ? scalarMult(secretKey, alpha) : undefined
  if (shared === undefined) return refused('ERR_ONION_POINT', 'α is not a ristretto255 point of the group')
  const keys = hopKeys(shared)
  if (options.seen?.(keys.tag) === true) return refused('ERR_ONION_REPLAY', 'this packet was seen before under this key', keys.tag)
  if (!sodium.memcmp(mac(keys.mac, beta, delta), gamma)) return refused('ERR_ONION_MAC', 'γ does not authenticate the packet', keys.tag)

  const opened = streamXor(keys.header, concatBytes([beta, new Uint8Array(ONION_SLOT_BYTES)]))
  const routing = decodeRouting(opened.subarray(0, ONION_ROUTING_BYTES))
  if (routing === undefined) return refused('ERR_ONION_ROUTING', 'the routing slot is not canonical', keys.tag)
  const nextDelta = streamXor(keys.payload, delta)
  if (routing.kind === 'exit') {
    const message = decodePayload(nextDelta)
    if (message === undefined) return refused('ERR_ONION_PAYLOAD', 'the exit payload is not canonical', keys.tag)
    return { ok: true, tag: keys.tag, kind: 'exit', delay: routing.delay, message }
  }
  const nextAlpha = scalarMult(blinding(alpha, shared), alpha)
  if (nextAlpha === undefined) return refused('ERR_ONION_POINT', 'blinding α gave the identity', keys.tag)
  const nextGamma = opened.subarray(ONION_ROUTING_BYTES, ONION_SLOT_BYTES)
  const nextBeta = opened.subarray(ONION_SLOT_BYTES)
  const next = concatBytes([nextAlpha, nextBeta, nextGamma, nextDelta])
  return { ok: true, tag: keys.tag, kind: 'relay', delay: routing.delay, next: routing.next, address: routing.address, packet: next }
}
