import sodiumModule from 'libsodium-wrappers-sumo'

// libsodium compiles its WASM asynchronously once; awaiting it at module load makes every
// export of this package synchronous to use.
await sodiumModule.ready

/** The initialised libsodium instance shared by this package. */
export const sodium: typeof sodiumModule = sodiumModule

/** `length` bytes from libsodium's CSPRNG: the default randomness of every key, nonce and signature here. */
export const randomBytes = (length: number): Uint8Array => sodium.randombytes_buf(length)

/**
 * Resolves once the crypto backend is initialised. Importing the package already awaits it (top-level
 * await), so this is only for callers that want an explicit readiness point.
 *
 * @example
 * ```ts
 * await ready()
 * const { publicKey } = generateAuthorKey()
 * ```
 */
export async function ready (): Promise<void> {
  await sodiumModule.ready
}
