/**
 * Sizes of a Murmur onion packet (docs/PROTOCOL.md, "Onion packets"). Every packet on the wire is exactly
 * {@link ONION_PACKET_BYTES} long whatever its path length, its position on the path or its content.
 */

/** Hops a header has room for: 3 mixes and, for a loop, the sender itself. @default 4 */
export const ONION_MAX_HOPS = 4
/** Bytes of the ephemeral group element α (a ristretto255 point). */
export const ONION_ALPHA_BYTES = 32
/** Bytes of a per-hop MAC γ (keyed BLAKE2b over β and δ). */
export const ONION_MAC_BYTES = 16
/** Largest next-hop PeerId (its multihash bytes) a routing slot holds: Ed25519 ids are 38 bytes. */
export const ONION_MAX_PEER_ID_BYTES = 44
/** Largest next-hop address (a multiaddr's bytes, without /p2p) a routing slot holds. */
export const ONION_MAX_ADDRESS_BYTES = 63
/** Bytes of one hop's routing information: kind (1), delay in ms (2), PeerId length (1), PeerId (44), address length (1), address (63). */
export const ONION_ROUTING_BYTES = 5 + ONION_MAX_PEER_ID_BYTES + ONION_MAX_ADDRESS_BYTES
/** Bytes of one hop's slot in β: its routing information and the next hop's MAC. */
export const ONION_SLOT_BYTES = ONION_ROUTING_BYTES + ONION_MAC_BYTES
/** Bytes of β, the layered routing information. */
export const ONION_BETA_BYTES = ONION_MAX_HOPS * ONION_SLOT_BYTES
/** Bytes of the header: α, β, γ. */
export const ONION_HEADER_BYTES = ONION_ALPHA_BYTES + ONION_BETA_BYTES + ONION_MAC_BYTES
/**
 * Bytes of δ, the layered payload: room for a padded post of the largest bucket (2,560 bytes) with its
 * one-time signature, or a ring-signed post over a few dozen members. @default 4096
 */
export const ONION_PAYLOAD_BYTES = 4096
/** Bytes of every onion packet. */
export const ONION_PACKET_BYTES = ONION_HEADER_BYTES + ONION_PAYLOAD_BYTES
/** Bytes of the length prefix of the exit's plaintext. */
export const ONION_LENGTH_BYTES = 2
/** Largest message an onion packet carries to its exit. */
export const ONION_MAX_MESSAGE_BYTES = ONION_PAYLOAD_BYTES - ONION_LENGTH_BYTES
/** Largest delay a routing slot can carry, in milliseconds (an unsigned 16-bit field). */
export const ONION_MAX_DELAY_MS = 0xffff
/** Bytes of a mix's secret and public key (ristretto255 scalar and point). */
export const MIX_KEY_BYTES = 32
/** Bytes of a replay tag. */
export const ONION_TAG_BYTES = 16
