/**
 * Sealing under the data dir's at-rest key (platform-neutral, libsodium): XChaCha20-Poly1305 with a random
 * 24-byte nonce, under a subkey derived for one use (files, store values, store names), and the place the
 * bytes are kept as associated data, so sealed bytes moved to another file or key do not open. Names in
 * database keys (channels, link-tag scopes) are sealed deterministically instead (SIV: the nonce is a keyed
 * hash of the padded name), so that a key still finds its record and keeps its order within one name.
 */
import sodium from 'libsodium-wrappers-sumo'
import { AtRestError } from './errors.js'

/** Bytes of the at-rest key (and of every subkey). */
export const AT_REST_KEY_BYTES = 32

/** Bytes a seal adds to what it seals: the nonce and the Poly1305 tag. */
export const SEAL_OVERHEAD = 24 + 16

/** What a subkey is for: each gets its own, so no two uses share a key. */
export type SealUse = 'file' | 'value' | 'name'

/** libsodium's KDF takes an 8-byte context and a number per subkey. */
const KDF_CONTEXT = 'murmurAR'
const SUBKEY_ID: Record<SealUse, number> = { file: 1, value: 2, name: 3 }

/** Subkeys of one at-rest key, derived once. */
export interface AtRestKeys {
  /** Seals `plain`, kept at `place` (a file's name in the data dir, a database key). */
  seal(plain: Uint8Array, use: Exclude<SealUse, 'name'>, place: Uint8Array): Uint8Array
  /** Opens what {@link AtRestKeys.seal} sealed at the same place; throws AtRestError (ERR_SEALED_DAMAGED) otherwise. */
  open(sealed: Uint8Array, use: Exclude<SealUse, 'name'>, place: Uint8Array, what: string): Uint8Array
  /**
   * The same bytes for the same name, nothing readable of it but its length rounded up to 32 bytes (plus
   * 24): how a database key names a channel or a scope without showing it.
   */
  sealName(name: Uint8Array): Uint8Array
  /** The name of {@link AtRestKeys.sealName}'s bytes; undefined for bytes it did not make under this key. */
  openName(sealed: Uint8Array): Uint8Array | undefined
  /** A keyed 16-byte hash of a name: a file name that says nothing of the record's own name. */
  hashName(name: Uint8Array): Uint8Array
}

/** Names are padded to a multiple of this many bytes before they are sealed, so only a coarse length shows. */
const NAME_PADDING = 32

/**
 * The sealing functions of an at-rest key (32 bytes). Resolves once libsodium is ready.
 *
 * @example
 * ```ts
 * const keys = await atRestKeys(await loadOrCreateAtRestKey(dataDir))
 * const sealed = keys.seal(utf8('{"words":[]}'), 'file', utf8('filters.json'))
 * ```
 */
export async function atRestKeys (key: Uint8Array): Promise<AtRestKeys> {
  if (key.byteLength !== AT_REST_KEY_BYTES) {
    throw new RangeError(`expected a ${AT_REST_KEY_BYTES}-byte at-rest key, got ${key.byteLength}`)
  }
  await sodium.ready
  const subkey = (use: SealUse): Uint8Array => sodium.crypto_kdf_derive_from_key(AT_REST_KEY_BYTES, SUBKEY_ID[use], KDF_CONTEXT, key)
  const subkeys = { file: subkey('file'), value: subkey('value') }
  const nameKey = subkey('name')
  const nonceBytes = sodium.crypto_stream_xchacha20_NONCEBYTES
  const pad = (name: Uint8Array): Uint8Array => {
    const padded = new Uint8Array(Math.ceil((name.byteLength + 2) / NAME_PADDING) * NAME_PADDING)
    new DataView(padded.buffer).setUint16(0, name.byteLength)
    padded.set(name, 2)
    return padded
  }
  // a keyed hash of the padded name is the nonce, checked again when opened (deterministic authenticated encryption)
  const sivOf = (padded: Uint8Array): Uint8Array => sodium.crypto_generichash(nonceBytes, padded, nameKey)
  const streamKey = sodium.crypto_generichash(AT_REST_KEY_BYTES, new TextEncoder().encode('murmur/at-rest/name-stream'), nameKey)
  const fileNameKey = sodium.crypto_generichash(AT_REST_KEY_BYTES, new TextEncoder().encode('murmur/at-rest/file-name'), nameKey)
  return {
    seal: (plain, use, place) => {
      const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
      const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, place, null, nonce, subkeys[use])
      const out = new Uint8Array(nonce.byteLength + sealed.byteLength)
      out.set(nonce)
      out.set(sealed, nonce.byteLength)
      return out
    },
    open: (sealed, use, place, what) => {
      const nonceBytes = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
      try {
        if (sealed.byteLength < SEAL_OVERHEAD) throw new RangeError(`${sealed.byteLength} bytes is shorter than a seal`)
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(nonceBytes), place, sealed.subarray(0, nonceBytes), subkeys[use])
      } catch (err) {
        throw new AtRestError('ERR_SEALED_DAMAGED', `${what} does not open under this data dir's at-rest key: it is damaged, comes from another data dir, or the key file was replaced (an interrupted \`murmur wipe\`?)`, { cause: err })
      }
    },
    sealName: (name) => {
      const padded = pad(name)
      const siv = sivOf(padded)
      const out = new Uint8Array(nonceBytes + padded.byteLength)
      out.set(siv)
      out.set(sodium.crypto_stream_xchacha20_xor(padded, siv, streamKey), nonceBytes)
      return out
    },
    hashName: (name) => sodium.crypto_generichash(16, name, fileNameKey),
    openName: (sealed) => {
      if (sealed.byteLength < nonceBytes + NAME_PADDING || (sealed.byteLength - nonceBytes) % NAME_PADDING !== 0) return undefined
      const siv = sealed.subarray(0, nonceBytes)
      const padded = sodium.crypto_stream_xchacha20_xor(sealed.subarray(nonceBytes), siv, streamKey)
      if (!sodium.memcmp(sivOf(padded), siv)) return undefined
      const length = new DataView(padded.buffer, padded.byteOffset).getUint16(0)
      return length + 2 <= padded.byteLength ? padded.slice(2, 2 + length) : undefined
    }
  }
}

/** A fresh random at-rest key. */
export async function newAtRestKey (): Promise<Uint8Array> {
  await sodium.ready
  return sodium.randombytes_buf(AT_REST_KEY_BYTES)
}
