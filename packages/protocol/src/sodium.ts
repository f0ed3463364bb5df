import sodiumModule from 'libsodium-wrappers-sumo'

/**
 * Thrown when a crypto function of this package runs before `await ready()` has resolved: libsodium
 * compiles its WASM asynchronously, and the package awaits nothing at import (no top-level await).
 *
 * @example
 * ```ts
 * try { generateAuthorKey() } catch (err) {
 *   if (err instanceof Error && err.name === 'CryptoNotReadyError') await ready()
 * }
 * ```
 */
export class CryptoNotReadyError extends Error {
  static override readonly name = 'CryptoNotReadyError'
  override readonly name = 'CryptoNotReadyError'
  readonly code = 'ERR_CRYPTO_NOT_READY'

  constructor (message = 'libsodium is not initialised: await ready() from @murmur/protocol first') {
    super(message)
  }
}

/**
 * Rethrows CryptoNotReadyError: a check that never throws must not turn "libsodium not initialised"
 * into a verdict on its input (an honest peer's valid post judged invalid and its sender penalised).
 */
export function rethrowNotReady (err: unknown): void {
  if (err instanceof CryptoNotReadyError) throw err
}

let initialised = false
let initialising: Promise<void> | undefined

/**
 * The libsodium instance shared by this package: every crypto call reaches libsodium through it. Reading
 * any of its members before `ready()` has resolved throws CryptoNotReadyError (ERR_CRYPTO_NOT_READY),
 * where libsodium itself would give an undefined function or a half-initialised module.
 */
export const sodium: typeof sodiumModule = new Proxy(sodiumModule, {
  get (target, key, receiver) {
    if (!initialised) throw new CryptoNotReadyError()
    return Reflect.get(target, key, receiver)
  }
})

/** `length` bytes from libsodium's CSPRNG: the default randomness of every key, nonce and signature here. */
export const randomBytes = (length: number): Uint8Array => sodium.randombytes_buf(length)

/**
 * Initialises the crypto backend (libsodium's WASM) once; every later call resolves at once. Await it
 * before the first synchronous crypto call of this package (keys, signatures, hashes, validation):
 * until then they throw CryptoNotReadyError. `createMurmur` awaits it by itself.
 *
 * @example
 * ```ts
 * import { ready, generateAuthorKey } from '@murmur/protocol'
 *
 * await ready()
 * const { publicKey } = generateAuthorKey()
 * ```
 */
export async function ready (): Promise<void> {
  initialising ??= sodiumModule.ready.then(() => { initialised = true })
  await initialising
}
