/**
 * Fixed-size messages on short libp2p streams: a mix packet (ONION_PACKET_BYTES) or a mix key answer.
 * No length prefix: the size is the protocol's, and anything else is refused.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { MIX_STREAM_TIMEOUT } from './constants.js'
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
 * Closes `stream` gracefully within `timeout` ms, else aborts it: a peer that never closes its side
 * cannot hold the stream (nor the connection it keeps in use) open.
 *
 * @example
 * ```ts
 * await closeWithin(stream, MIX_STREAM_TIMEOUT)
 * ```
 */
export async function closeWithin (stream: Stream, timeout: number): Promise<void> {
  // a timer of its own: the close is not trusted to honour an abort signal
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new MixStreamError(`not closed within ${timeout} ms`)) }, timeout)
  })
  try {
    await Promise.race([stream.close({ signal: AbortSignal.timeout(timeout) }), late])
  } catch (err) {
    stream.abort(err as Error)
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Writes `bytes` on `stream` and closes it, within `timeout` ms each (@default MIX_STREAM_TIMEOUT); the
 * stream is aborted when the time runs out.
 *
 * @example
 * ```ts
 * await writeAll(await libp2p.dialProtocol(peer, MIX_PROTOCOL), packet, MIX_STREAM_TIMEOUT)
 * ```
 */
export async function writeAll (stream: Stream, bytes: Uint8Array, timeout: number = MIX_STREAM_TIMEOUT): Promise<void> {
  const signal = AbortSignal.timeout(timeout)
  try {
    if (!stream.send(bytes)) await stream.onDrain({ signal })
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
  await closeWithin(stream, timeout)
}

/**
 * Resolves once the peer closed its side of `stream` (a mix does once it read the packet: the
 * connection may then be closed without losing it); aborts the stream and throws MixStreamError after
 * `timeout` ms.
 *
 * @example
 * ```ts
 * await writeAll(stream, packet)
 * await peerClosed(stream, MIX_STREAM_TIMEOUT)
 * ```
 */
export async function peerClosed (stream: Stream, timeout: number): Promise<void> {
  if (stream.remoteWriteStatus !== 'writable' || stream.status !== 'open') return
  let timer: ReturnType<typeof setTimeout> | undefined
  let done: (() => void) | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      done = () => { resolve() }
      stream.addEventListener('remoteCloseWrite', done, { once: true })
      stream.addEventListener('close', done, { once: true })
      timer = setTimeout(() => {
        const err = new MixStreamError(`peer did not close within ${timeout} ms`)
        stream.abort(err)
        reject(err)
      }, timeout)
    })
  } finally {
    clearTimeout(timer)
    if (done !== undefined) {
      stream.removeEventListener('remoteCloseWrite', done)
      stream.removeEventListener('close', done)
    }
  }
}
