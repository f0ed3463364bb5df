/**
 * Fixed-size messages on short libp2p streams: a mix packet (ONION_PACKET_BYTES) or a mix key answer.
 * No length prefix: the size is the protocol's, and anything else is refused.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { MixStreamError } from './errors.js'
import type { Stream } from '@libp2p/interface'

/**
 * Reads exactly `size` bytes from `stream` and the end of the peer's writes, within `timeout` ms. Holds
 * at most `size` bytes and one chunk. Throws MixStreamError (ERR_ONION_SIZE) on fewer or more bytes.
 *
 * @example
 * ```ts
 * const packet = await readExactly(stream, ONION_PACKET_BYTES, MIX_STREAM_TIMEOUT)
 * ```
 */
export async function readExactly (stream: Stream, size: number, timeout: number): Promise<Uint8Array> {
  const buffer = new Uint8ArrayList()
  const timer = setTimeout(() => { stream.abort(new MixStreamError(`no ${size} bytes within ${timeout} ms`)) }, timeout)
  try {
    for await (const chunk of stream) {
      buffer.append(chunk)
      if (buffer.byteLength > size) throw new MixStreamError(`more than ${size} bytes`)
    }
  } finally {
    clearTimeout(timer)
  }
  if (buffer.byteLength !== size) throw new MixStreamError(`${buffer.byteLength} bytes, ${size} expected`)
  return buffer.subarray()
}

/**
 * Writes `bytes` on `stream` and closes it (waits for a full send buffer to drain).
 *
 * @example
 * ```ts
 * await writeAll(await libp2p.dialProtocol(peer, MIX_PROTOCOL), packet)
 * ```
 */
export async function writeAll (stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain()
  await stream.close()
}
