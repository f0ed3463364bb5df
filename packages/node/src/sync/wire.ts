import { encodingLength } from 'uint8-varint'
import { decodeSyncMessage, encodeSyncMessage } from '@murmur/protocol'
import { SyncStalledError } from './errors.js'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { SyncMessage } from '@murmur/protocol'

/** Write one sync message; resolves to the bytes sent, length prefix included. */
export async function write (lp: LengthPrefixedStream, message: SyncMessage, signal: AbortSignal): Promise<number> {
  const bytes = encodeSyncMessage(message)
  await lp.write(bytes, { signal })
  return bytes.byteLength + encodingLength(bytes.byteLength)
}

/**
 * Read one sync message, giving up after `timeout` ms (a {@link SyncStalledError}) or when `signal`
 * aborts; resolves to it and the bytes received, length prefix included.
 */
export async function read (lp: LengthPrefixedStream, signal: AbortSignal, timeout: number): Promise<{ message: SyncMessage, bytes: number }> {
  const idle = AbortSignal.timeout(timeout)
  let data: Uint8Array
  try {
    data = (await lp.read({ signal: AbortSignal.any([signal, idle]) })).subarray()
  } catch (err) {
    // a peer dripping bytes, or saying nothing: the whole message must come within `timeout`
    if (idle.aborted && !signal.aborted) throw new SyncStalledError(`no whole message within ${timeout} ms`, { cause: err })
    throw err
  }
  return { message: decodeSyncMessage(data), bytes: data.byteLength + encodingLength(data.byteLength) }
}

/** {@link read}, or undefined when the other end closed its side instead. */
export async function readUnlessClosed (lp: LengthPrefixedStream, signal: AbortSignal, timeout: number): Promise<SyncMessage | undefined> {
  try {
    return (await read(lp, signal, timeout)).message
  } catch (err) {
    if (err instanceof Error && err.name === 'UnexpectedEOFError') return undefined
    throw err
  }
}

/** Ids to send, in order, each at most once per session. */
export class SendQueue {
  private readonly order: Uint8Array[] = []
  private readonly queued = new Set<string>()
  private next = 0

  /** Queues an id unless it was queued before in this session. */
  add (hex: string, id: Uint8Array): void {
    if (this.queued.has(hex)) return
    this.queued.add(hex)
    this.order.push(id)
  }

  /** The next id to send, if any. */
  peek (): Uint8Array | undefined {
    return this.order[this.next]
  }

  /** Drop the id {@link peek} returned. */
  take (): void {
    this.next++
  }

  /** Ids still queued. */
  get size (): number {
    return this.order.length - this.next
  }
}
